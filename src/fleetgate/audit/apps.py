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
        post_migrate.connect(_ensure_head, sender=self)
