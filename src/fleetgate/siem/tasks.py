"""Thin Huey tasks: every minute, stream each enabled destination's outbox; at once after a change."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from fleetgate.siem import services


@db_periodic_task(crontab(minute="*"))
def stream_ledger_to_siems() -> int:
    return sum(outcome.sent for outcome in services.stream_all())


@db_task()
def stream_destination(destination_id: int) -> int:
    return services.stream(destination_id).sent
