from typing import Any

from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_save


def _decided(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """A CAB decision is an event the engine reacts to at once (a rollout blocked on it moves on)."""
    if not created or raw:
        return
    from fleetgate.rollouts import tasks
    from fleetgate.rollouts.models import Rollout

    intent_id = instance.request.intent_id
    if Rollout.objects.filter(intent_id=intent_id).exists():
        transaction.on_commit(lambda: tasks.advance_rollout(str(intent_id)))


class RolloutsConfig(AppConfig):
    name = "fleetgate.rollouts"
    label = "rollouts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fleetgate.approvals.models import CabDecision

        post_save.connect(_decided, sender=CabDecision, dispatch_uid="rollouts-cab-decided")
