"""Periodic ledger work: sign the head so a truncated tail is detectable."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from fleetgate.audit import services
from fleetgate.core import actors


@db_periodic_task(crontab(minute="*/15"))
def sign_ledger_checkpoint() -> int | None:
    checkpoint = services.sign_checkpoint(actor=actors.SCHEDULER)
    return checkpoint.sequence if checkpoint else None
