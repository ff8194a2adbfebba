from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_default_rubric(sender: AppConfig, **kwargs: Any) -> None:
    from fleetgate.risk import services

    services.load_default_rubric()


class RiskConfig(AppConfig):
    name = "fleetgate.risk"
    label = "risk"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fleetgate.evidence import inputs
        from fleetgate.risk import queries

        inputs.register(risk=queries.pack_snapshot)
        post_migrate.connect(_load_default_rubric, sender=self)
