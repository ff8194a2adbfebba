"""Background work: periodic tasks, job records, and the Redis-backed queue for scale-out."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from huey import RedisHuey
from huey.contrib.djhuey import HUEY

from fleetgate.audit.models import LedgerCheckpoint, LedgerEvent
from fleetgate.audit.tasks import sign_ledger_checkpoint
from fleetgate.config import settings as cfg
from fleetgate.worker.models import JobRun
from fleetgate.worker.queue import huey_settings
from tests.factories import World
from tests.redis_dbs import TASKS, redis_url

REDIS_URL = cfg.redis_url or redis_url(TASKS)


@pytest.fixture
def immediate() -> Any:
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = False


def test_checkpoint_task_signs_head_and_records_the_job(world: World, immediate: Any) -> None:
    sign_ledger_checkpoint()
    checkpoint = LedgerCheckpoint.objects.get()
    job = JobRun.objects.get()
    assert (job.task, job.status) == ("sign_ledger_checkpoint", JobRun.Status.SUCCEEDED)
    event = LedgerEvent.objects.get(action="ledger.checkpoint_signed")
    assert event.correlation_id == job.correlation_id
    assert event.actor_id == "service:scheduler"
    assert sign_ledger_checkpoint.call_local() is None
    assert LedgerCheckpoint.objects.get().pk == checkpoint.pk


def test_failed_job_is_recorded(world: World, immediate: Any, monkeypatch: Any) -> None:
    from fleetgate.audit import services

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("key store unavailable")

    monkeypatch.setattr(services, "sign_checkpoint", broken)
    sign_ledger_checkpoint()  # the consumer logs the failure; the job record keeps it
    job = JobRun.objects.get()
    assert job.status == JobRun.Status.FAILED
    assert "key store unavailable" in job.error


def test_checkpoint_task_is_scheduled_every_15_minutes() -> None:
    assert sign_ledger_checkpoint.s().validate_datetime(datetime(2026, 1, 1, 10, 15))
    assert not sign_ledger_checkpoint.s().validate_datetime(datetime(2026, 1, 1, 10, 16))


def test_queue_backend_follows_configuration(tmp_path: Path) -> None:
    assert huey_settings("", tmp_path)["huey_class"] == "huey.SqliteHuey"
    redis = huey_settings(REDIS_URL, tmp_path)
    assert (redis["huey_class"], redis["url"]) == ("huey.RedisHuey", REDIS_URL)


@pytest.mark.django_db(transaction=True)  # a consumer-side task manages its own connection
def test_task_round_trips_through_real_redis() -> None:
    """The scale-out path: enqueue into Redis, a consumer dequeues and runs the same task code."""
    World.build()
    queue = RedisHuey("fleetgate-test", url=REDIS_URL)
    queue.flush()
    task = queue.task()(sign_ledger_checkpoint.func)
    result = task()
    assert queue.pending_count() == 1
    queue.execute(queue.dequeue())
    assert result.get() == LedgerCheckpoint.objects.get().sequence
    queue.flush()
