from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_default_policy(sender: AppConfig, **kwargs: Any) -> None:
    from fleetgate.intents import services

    services.load_default_ring_policy()


class IntentsConfig(AppConfig):
    name = "fleetgate.intents"
    label = "intents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_load_default_policy, sender=self)
