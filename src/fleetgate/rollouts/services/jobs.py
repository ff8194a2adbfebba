"""Job records for the plane work that follows a person's action (start, pause, promote, ...):
queued in the request's transaction, run by a worker, polled by the caller (202 Accepted)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from fleetgate.core import correlation, permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import NotFound
from fleetgate.intents.models import DeploymentIntent
from fleetgate.worker.models import JobRun

TASK = "fleetgate.rollouts.tasks.run_job"


def enqueue(*, actor: Actor, intent_id: Any, action: str, params: dict[str, Any] | None = None) -> JobRun:
    """A queued job to advance the intent's rollout after `action`; enqueued when the transaction commits."""
    from fleetgate.rollouts import tasks

    intent = DeploymentIntent.objects.filter(pk=intent_id).first()
    if intent is None:
        raise NotFound(f"No intent with id {intent_id}; list intents to find it.")
    permissions.require(actor, f"rollout.{action}", intent)  # only who may take the action queues its work
    task = tasks.run_job.s(0)
    job = JobRun.objects.create(
        task=TASK,
        task_id=task.id,
        status=JobRun.Status.QUEUED,
        correlation_id=correlation.current() or "",
        queued_at=timezone.now(),
        intent_id=intent_id,
        action=action,
        requested_by=actor.ledger_view(),
        params=params or {},
    )
    task.args = (job.pk,)
    transaction.on_commit(lambda: tasks.enqueue(task))
    return job


def log(job_id: int, message: str, level: str = "info", **fields: Any) -> None:
    job = JobRun.objects.get(pk=job_id)
    job.log = [*job.log, {"at": timezone.now().isoformat(), "level": level, "message": message, **fields}][-200:]
    JobRun.objects.filter(pk=job_id).update(log=job.log)


def run(job_id: int) -> JobRun:
    """What the worker does for a job: advance the rollout and log where it stands."""
    from fleetgate.rollouts.services import engine

    job = JobRun.objects.get(pk=job_id)
    JobRun.objects.filter(pk=job_id).update(attempts=job.attempts + 1)
    if job.started_at is None:
        JobRun.objects.filter(pk=job_id).update(started_at=timezone.now(), status=JobRun.Status.RUNNING)
    log(job_id, f"advancing after {job.action}")
    rollout = engine.advance(intent_id=job.intent_id) if job.intent_id else None
    if rollout is not None:
        log(
            job_id,
            f"rollout {rollout.status}: {rollout.status_detail}",
            ring=rollout.current_ring,
            status=rollout.status,
        )
    JobRun.objects.filter(pk=job_id).update(status=JobRun.Status.SUCCEEDED, finished_at=timezone.now())
    return JobRun.objects.get(pk=job_id)


def note_engine_run(*, task_id: str, intent_id: Any, rollout: Any) -> None:
    """Link the worker's job record of an engine pass to its intent, with where the rollout stands."""
    line = {"at": timezone.now().isoformat(), "level": "info", "message": "advanced"}
    if rollout is not None:
        line |= {"status": rollout.status, "ring": rollout.current_ring, "detail": rollout.status_detail[:500]}
    JobRun.objects.filter(task_id=task_id).update(intent_id=intent_id, action="advance", log=[line])
