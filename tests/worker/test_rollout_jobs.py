"""Every engine pass the worker runs is a job record linked to its intent, with a structured log line."""

from __future__ import annotations

from typing import Any

import pytest
from huey.contrib.djhuey import HUEY

from fleetgate.rollouts import tasks
from fleetgate.rollouts.models import Rollout
from fleetgate.worker.models import JobRun
from tests.factories import World


@pytest.fixture
def immediate() -> Any:
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = False


def test_an_engine_pass_is_a_job_of_its_intent(world: World, immediate: Any) -> None:
    intent = world.intent()
    Rollout.objects.create(intent=intent, current_ring="lab", pack_versions={})
    tasks.advance_rollout(str(intent.pk))
    job = JobRun.objects.get(task="advance_rollout")
    assert job.status == JobRun.Status.SUCCEEDED
    assert (str(job.intent_id), job.action) == (str(intent.pk), "advance")
    assert job.log[0]["status"] == "running"
    assert job.log[0]["ring"] == "lab"


def test_a_cab_decision_wakes_the_engine_for_a_started_intent(world: World, monkeypatch: Any) -> None:
    from django.db import transaction

    from fleetgate.approvals.models import CabDecision, CabRequest
    from fleetgate.rollouts import apps

    woken: list[str] = []
    monkeypatch.setattr(tasks, "advance_rollout", woken.append)
    intent = world.intent()
    Rollout.objects.create(intent=intent, current_ring="lab", pack_versions={})
    request = CabRequest(intent=intent)
    decision = CabDecision(request=request)
    with transaction.atomic():
        apps._decided(CabDecision, decision, created=True)
    assert woken == []  # on commit only; the test transaction never commits
    monkeypatch.setattr(transaction, "on_commit", lambda fn: fn())
    apps._decided(CabDecision, decision, created=True)
    assert woken == [str(intent.pk)]
    apps._decided(CabDecision, decision, created=False)
    assert woken == [str(intent.pk)]
