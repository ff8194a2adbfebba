from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_head(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    from fleetgate.audit.models import LedgerHead

    LedgerHead.objects.using(using).get_or_create(pk=1)


class AuditConfig(AppConfig):
    name = "fleetgate.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.exceptions import ImproperlyConfigured
        from django.db import connections

        from fleetgate.core.db.precommit import BeforeCommit

        # record() queues events with before_commit, which only Fleetgate's backends have: fail at start-up,
        # not on the first write
        for alias in connections:
            if not isinstance(connections[alias], BeforeCommit):
                engine = connections[alias].settings_dict["ENGINE"]
                raise ImproperlyConfigured(
                    f"DATABASES[{alias!r}] uses {engine}; the ledger needs fleetgate.core.db.postgresql or "
                    "fleetgate.core.db.sqlite3 (set by fleetgate.settings)."
                )
        post_migrate.connect(_ensure_head, sender=self)
