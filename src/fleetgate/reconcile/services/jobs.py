"""The reconciliation pass as a job record (worker.models.JobRun): queued by a person or the
schedule, run by a worker, its summary in the job's log and params."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.core import correlation, permissions
from fleetgate.core.actors import Actor
from fleetgate.reconcile.services import passes
from fleetgate.worker.models import JobRun

TASK = "fleetgate.reconcile.tasks.run_job"
ACTION = "reconcile"


def enqueue(*, actor: Actor, intent_id: Any = None, reason: str = "requested") -> JobRun:
    permissions.require(actor, "reconcile.run")
    from fleetgate.reconcile import tasks

    task = tasks.run_job.s(0)
    job = JobRun.objects.create(
        task=TASK,
        task_id=task.id,
        status=JobRun.Status.QUEUED,
        correlation_id=correlation.current() or "",
        queued_at=timezone.now(),
        intent_id=intent_id,
        action=ACTION,
        requested_by=actor.ledger_view(),
        params={"reason": reason},
    )
    task.args = (job.pk,)
    transaction.on_commit(lambda: tasks.enqueue(task))
    return job


def enqueue_recorded(*, actor: Actor, intent_id: Any = None) -> JobRun:
    """A person asks for a pass (of one intent, or of everything): the request is a ledger event."""
    passes.authorize(actor, intent_id)
    with transaction.atomic():
        job = enqueue(actor=actor, intent_id=intent_id)
        audit.record(
            actor=actor,
            action="reconcile.requested",
            subject_type="reconcile_pass",
            subject_id=job.pk,
            after={"job": job.pk, "intent": str(intent_id) if intent_id else None},
        )
    return job


def run(job_id: int) -> JobRun:
    job = JobRun.objects.get(pk=job_id)
    JobRun.objects.filter(pk=job_id).update(
        attempts=job.attempts + 1, started_at=job.started_at or timezone.now(), status=JobRun.Status.RUNNING
    )
    try:
        report = passes.run(actor=passes.RECONCILER, intent_id=job.intent_id)
    except Exception as exc:
        JobRun.objects.filter(pk=job_id).update(
            status=JobRun.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    summary = {k: v for k, v in report.as_dict().items() if k not in ("drift", "actions")}
    lines = [
        {"at": timezone.now().isoformat(), "level": "info", "message": _line(report)},
        *({"at": timezone.now().isoformat(), "level": "warning", "message": p} for p in report.problems[:50]),
    ]
    JobRun.objects.filter(pk=job_id).update(
        status=JobRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
        params={**job.params, "report": summary},
        log=[*job.log, *lines][-200:],
    )
    return JobRun.objects.get(pk=job_id)


def _line(report: passes.Report) -> str:
    found = ", ".join(f"{k} {v}" for k, v in sorted(report.found.items())) or "no drift"
    return (
        f"reconciled {report.intents} intents ({report.targets} plane targets, {report.plane_reads} plane reads): "
        f"{found}; opened {report.opened}, healed {report.healed}, remediated {report.remediated}, "
        f"escalated {report.escalated}"
    )
