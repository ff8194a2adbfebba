"""Django's PostgreSQL backend with `before_commit` (fleetgate.core.db.precommit)."""

from django.db.backends.postgresql import base

from fleetgate.core.db.precommit import BeforeCommit


class DatabaseWrapper(BeforeCommit, base.DatabaseWrapper):
    pass
