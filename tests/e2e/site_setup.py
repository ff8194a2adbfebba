"""Configure a site's Fleetgate for the round-trip test, in its own process: the connector of the site's
plane through the real service, as its Platform Admin (python -m tests.e2e.site_setup ADMIN JSON)."""

from __future__ import annotations

import json
import os
import sys


def main(admin: str, connector: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fleetgate.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from fleetgate.connectors import services as connectors
    from fleetgate.identity.queries import from_user

    actor = from_user(get_user_model().objects.get(username=admin))
    row = connectors.create(actor=actor, data=json.loads(connector))
    print(row.name)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
