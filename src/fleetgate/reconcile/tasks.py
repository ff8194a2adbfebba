"""Thin Huey tasks: the schedule tick, the nightly full resync, and running a pass job."""

from __future__ import annotations

from typing import Any

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from fleetgate.reconcile.services import jobs, schedule


@db_periodic_task(crontab(minute="*/5"))
def tick() -> dict[str, int]:
    return schedule.tick()


@db_periodic_task(crontab(minute="17", hour="3"))
def full_resync() -> int:
    return schedule.full_resync()


@db_task(retries=1, retry_delay=60)
def run_job(job_id: int) -> str:
    return str(jobs.run(job_id).status)


def enqueue(task: Any) -> None:
    HUEY.enqueue(task)
