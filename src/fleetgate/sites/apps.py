from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_default_strategies(sender: Any, **kwargs: Any) -> None:
    from fleetgate.sites.services import registry

    registry.load_default_strategies()


class SitesConfig(AppConfig):
    name = "fleetgate.sites"
    label = "sites"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fleetgate.rollouts import offline
        from fleetgate.sites import queries

        # A ring's gates count what air-gapped sites signed in their results bundles (sites sits above rollouts).
        offline.register(queries.site_counts)
        post_migrate.connect(_load_default_strategies, sender=self)
