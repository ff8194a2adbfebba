"""Huey signal handlers: a correlation id per task run, and a JobRun row per execution."""

from __future__ import annotations

from typing import Any

from django.db import close_old_connections
from django.utils import timezone
from huey.signals import SIGNAL_COMPLETE, SIGNAL_ERROR, SIGNAL_EXECUTING

from fleetgate.core import correlation
from fleetgate.worker.models import JobRun


def connect(huey: Any) -> None:
    huey.signal(SIGNAL_EXECUTING)(_started)
    huey.signal(SIGNAL_COMPLETE)(_finished)
    huey.signal(SIGNAL_ERROR)(_finished)


def _started(signal: str, task: Any, *args: Any) -> None:
    _fresh_connection()
    cid = correlation.new_id()
    correlation.bind(cid)
    JobRun.objects.update_or_create(
        task_id=task.id,
        defaults={
            "task": task.name,
            "status": JobRun.Status.RUNNING,
            "correlation_id": cid,
            "started_at": timezone.now(),
            "finished_at": None,
            "error": "",
        },
    )


def _finished(signal: str, task: Any, exc: BaseException | None = None, *args: Any) -> None:
    status = JobRun.Status.FAILED if signal == SIGNAL_ERROR else JobRun.Status.SUCCEEDED
    JobRun.objects.filter(task_id=task.id).update(
        status=status, finished_at=timezone.now(), error=repr(exc) if exc else ""
    )
    _fresh_connection()


def _fresh_connection() -> None:
    """Like djhuey's db_task: drop stale connections around work, except when tasks run inline."""
    from huey.contrib.djhuey import HUEY

    if not HUEY.immediate:
        close_old_connections()
