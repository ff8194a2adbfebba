"""Thin Huey tasks: deliver one webhook now; every minute, retry the deliveries whose backoff ended."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from fleetgate.notifications import services


@db_task()
def deliver_webhook(delivery_id: int) -> str:
    return str(services.attempt(delivery_id).status)


@db_periodic_task(crontab(minute="*"))
def retry_due_deliveries() -> int:
    pending = services.due()
    for pk in pending:
        services.attempt(pk)
    return len(pending)
