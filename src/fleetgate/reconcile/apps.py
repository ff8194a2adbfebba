from typing import Any

from django.apps import AppConfig


class ReconcileConfig(AppConfig):
    name = "fleetgate.reconcile"
    label = "reconcile"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fleetgate.rollouts.signals import rollout_step

        rollout_step.connect(_on_rollout_step, dispatch_uid="fleetgate.reconcile.hurry")


def _on_rollout_step(sender: Any, *, intent_id: Any, action: str, **_: Any) -> None:
    """A rollout step changed plane state: reconcile the intent at the next tick."""
    from fleetgate.reconcile.services import schedule

    schedule.hurry(intent_id=intent_id)
