"""Races only PostgreSQL can show: the final approvals arriving at the same moment move the intent once."""

from __future__ import annotations

from typing import Any

import pytest

from fleetgate.approvals import services as approvals
from fleetgate.approvals.models import CabDecision, CabRequest
from fleetgate.audit.models import LedgerEvent
from fleetgate.audit.verify import verify_chain
from fleetgate.catalog import services as catalog
from fleetgate.core.errors import RequestClosed
from fleetgate.core.roles import Role
from fleetgate.intents.models import DeploymentIntent
from tests.domain.test_concurrency import _in_threads
from tests.factories import World, make_actor, sealed_intent

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _request(klass: str) -> tuple[World, CabRequest]:
    world = World.build()
    catalog.classify_application(
        actor=world.actors[Role.PLATFORM_ADMIN], application_id=world.app.pk, blast_radius_class=klass, reason="r"
    )
    sealed = sealed_intent(world, high_risk=True)
    approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
    return world, CabRequest.objects.get(intent=sealed.intent)


def _approve(actor: Any, request: CabRequest) -> Any:
    return approvals.decide(actor=actor, request_id=request.pk, kind="approve")


def test_two_final_approvals_at_once_transition_exactly_once() -> None:
    _, request = _request("critical_infrastructure")  # quorum 3
    _approve(make_actor(Role.CAB_APPROVER), request)
    finals = [make_actor(Role.CAB_APPROVER), make_actor(Role.CAB_APPROVER)]
    results = _in_threads(2, lambda i: _approve(finals[i], request))
    assert all(isinstance(r, CabDecision) for r in results), results
    assert LedgerEvent.objects.filter(action="intent.approved", subject_id=str(request.intent_id)).count() == 1
    assert DeploymentIntent.objects.get(pk=request.intent_id).state == "approved"
    assert CabRequest.objects.get(pk=request.pk).state == "approved"
    assert verify_chain().ok


def test_racing_past_quorum_one_wins_the_other_finds_it_closed() -> None:
    _, request = _request("productivity")  # quorum 1
    racers = [make_actor(Role.CAB_APPROVER), make_actor(Role.CAB_APPROVER)]
    results = _in_threads(2, lambda i: _approve(racers[i], request))
    assert sum(isinstance(r, CabDecision) for r in results) == 1
    assert sum(isinstance(r, RequestClosed) for r in results) == 1
    assert LedgerEvent.objects.filter(action="intent.approved", subject_id=str(request.intent_id)).count() == 1
