"""Thin Huey tasks: the periodic engine tick, advancing one rollout, and running a job."""

from __future__ import annotations

from typing import Any

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from fleetgate.rollouts.services import engine, jobs


@db_periodic_task(crontab(minute="*"))
def tick() -> dict[str, int]:
    return engine.tick()


@db_task(retries=3, retry_delay=10, context=True)
def advance_rollout(intent_id: str, task: Any = None) -> str:
    rollout = engine.advance(intent_id=intent_id)
    if task is not None:
        jobs.note_engine_run(task_id=task.id, intent_id=intent_id, rollout=rollout)
    return rollout.status if rollout else "none"


@db_task(retries=3, retry_delay=10)
def run_job(job_id: int) -> str:
    return str(jobs.run(job_id).status)


def enqueue(task: Any) -> None:
    HUEY.enqueue(task)
