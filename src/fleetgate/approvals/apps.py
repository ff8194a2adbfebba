from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_save


def _pack_sealed(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if created and not raw:
        from fleetgate.approvals.services import cab

        cab.on_pack_sealed(instance)


class ApprovalsConfig(AppConfig):
    name = "fleetgate.approvals"
    label = "approvals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fleetgate.approvals import queries
        from fleetgate.evidence import inputs
        from fleetgate.evidence.models import EvidencePack

        # Evidence reads approved exceptions and CAB submissions through these (approvals sits above it).
        inputs.register(exceptions=queries.approved_exceptions, cab_submission=queries.cab_submission_present)
        # A new pack version voids the approvals of the old one, inside seal_pack's own transaction.
        post_save.connect(_pack_sealed, sender=EvidencePack, dispatch_uid="approvals-pack-sealed")
