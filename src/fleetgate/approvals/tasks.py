"""Thin Huey tasks: lapse expired exceptions and send 14-day reminders, hourly."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from fleetgate.approvals import services


@db_periodic_task(crontab(minute="5"))
def lapse_exceptions() -> dict[str, int]:
    return services.lapse_and_remind(now=timezone.now())
