"""Rubric governance over HTTP: rejecting a proposed or parallel-scored version, for every role, with the
exact ledger row, and problems for a missing reason, the wrong state and the proposer deciding."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fleetgate.audit.models import LedgerEvent
from fleetgate.core.roles import Role
from fleetgate.identity.models import RoleBinding
from fleetgate.risk import rubric, services
from fleetgate.risk.models import ModelState, RiskModel
from tests.api.base import CORRELATION, Endpoint, ResourceAccessTests, client_for
from tests.factories import World

R = Role
pytestmark = pytest.mark.django_db


def _v11() -> dict[str, Any]:
    document = json.loads(json.dumps(rubric.embedded_document()))
    document["version"] = "1.1"
    return document


def _proposed(world: World) -> RiskModel:
    key = ("rubric-proposed",)
    if key not in world.memo:
        world.memo[key] = services.propose_rubric(
            actor=world.actors[R.SECURITY_REVIEWER], document=_v11(), reason="history is riskier"
        )
    return world.memo[key]  # type: ignore[no-any-return]


class TestRubricRejectAccess(ResourceAccessTests):
    endpoints = [
        Endpoint(
            "POST",
            lambda w: f"/api/v1/risk-models/{_proposed(w).version}/reject/",
            frozenset({R.CAB_APPROVER}),
            body=lambda w: {"reason": "the weights are right as they are"},
            ledger_action="risk_model.rejected",
            label="reject-rubric",
        ),
    ]


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:800]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    return dict(body)


def _reject(client: Any, version: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/risk-models/{version}/reject/", body, format="json", HTTP_X_CORRELATION_ID=CORRELATION)


def test_a_cab_approver_rejects_a_proposal(world: World) -> None:
    _proposed(world)
    response = _reject(client_for(world.users[R.CAB_APPROVER]), "1.1", {"reason": "the weights are right as they are"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["rejected_by"], body["rejection_reason"]) == (
        "rejected",
        world.users[R.CAB_APPROVER].username,
        "the weights are right as they are",
    )
    assert body["rejected_at"]
    assert body["reason"] == "history is riskier"
    event = LedgerEvent.objects.order_by("-sequence").first()
    assert event is not None
    assert (event.action, event.subject_id, event.reason, event.correlation_id) == (
        "risk_model.rejected",
        "1.1",
        "the weights are right as they are",
        CORRELATION,
    )
    listed = client_for(world.users[R.AUDITOR]).get("/api/v1/risk-models/").json()
    assert {m["version"]: m["state"] for m in listed} == {"1.0": "active", "1.1": "rejected"}


def test_rejecting_again_is_an_invalid_transition(world: World) -> None:
    _proposed(world)
    cab = client_for(world.users[R.CAB_APPROVER])
    assert _reject(cab, "1.1", {"reason": "no"}).status_code == 200
    before = LedgerEvent.objects.count()
    body = _problem(_reject(cab, "1.1", {"reason": "no again"}), 409, "invalid-transition")
    assert "rejected" in body["detail"]
    _problem(_reject(cab, "1.0", {"reason": "the active one"}), 409, "invalid-transition")
    assert LedgerEvent.objects.count() == before


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_a_missing_reason_names_the_field(world: World, body: dict[str, Any]) -> None:
    _proposed(world)
    cab = client_for(world.users[R.CAB_APPROVER])
    before = LedgerEvent.objects.count()
    problem = _problem(_reject(cab, "1.1", body), 400, "validation-error")
    assert [e["field"] for e in problem["errors"]] == ["reason"]
    assert LedgerEvent.objects.count() == before
    assert RiskModel.objects.get(version="1.1").state == ModelState.PROPOSED


def test_the_proposer_may_not_reject_their_own_rubric(world: World) -> None:
    security = world.users[R.SECURITY_REVIEWER]
    RoleBinding.objects.create(user_id=security.pk, role=R.CAB_APPROVER, boundary="*", business_units=["*"])
    _proposed(world)
    both = client_for(security)
    before = LedgerEvent.objects.count()
    problem = _problem(_reject(both, "1.1", {"reason": "mine"}), 403, "separation-of-duties")
    assert "another person" in problem["detail"]
    assert LedgerEvent.objects.count() == before
    assert RiskModel.objects.get(version="1.1").state == ModelState.PROPOSED


def test_an_unknown_version_is_not_found(world: World) -> None:
    _problem(_reject(client_for(world.users[R.CAB_APPROVER]), "9.9", {"reason": "no"}), 404, "not-found")
