"""CAB, exceptions, break-glass and notifications over HTTP: every role on every endpoint with the exact
ledger rows, and the problems (SoD 403 + ledger event, closed 409, conditions 400, revoke twice 409)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from fleetgate.approvals import services as approvals
from fleetgate.approvals.models import CabRequest, PolicyException
from fleetgate.audit.models import LedgerEvent
from fleetgate.core.roles import Role
from tests.api.base import ALL_ROLES, Endpoint, ResourceAccessTests, client_for
from tests.factories import CAB_SUBMISSION, World, make_user, sealed_intent

R = Role
CAB = frozenset({R.CAB_APPROVER})
REASON = "P1 CVE-2026-1234 actively exploited; vendor hotfix."


def _request(world: World) -> CabRequest:
    sealed = sealed_intent(world, high_risk=True)
    approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
    return CabRequest.objects.get(intent=sealed.intent)


def _approved(world: World) -> Any:
    sealed = sealed_intent(world)
    return approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)


def _decision(world: World) -> str:
    request = _request(world)
    return str(approvals.decide(actor=world.actors[R.CAB_APPROVER], request_id=request.pk, kind="approve").pk)


def _exception_body(world: World) -> dict[str, Any]:
    sealed = sealed_intent(world)
    return {
        "kind": "vulnerability",
        "artifact": str(sealed.artifact.pk),
        "subject": "CVE-2026-0001",
        "justification": "Not reachable: the component is never loaded.",
        "compensating_controls": "Feature flag off by policy.",
        "owner": world.users[R.AUDITOR].username,
        "expires_in_days": 30,
    }


def _exception(world: World) -> str:
    body = _exception_body(world)
    return str(approvals.request_exception(actor=world.actors[R.PACKAGING_ENGINEER], data=body).pk)


def _glass(world: World) -> str:
    intent = _approved(world)
    row = approvals.request_breakglass(
        actor=world.publisher, intent_id=intent.pk, priority="P1", reason=REASON, duration_hours=2
    )
    return str(row.pk)


class TestCabAccess(ResourceAccessTests):
    endpoints = [
        Endpoint("GET", lambda w: "/api/v1/cab-requests/", ALL_ROLES, label="list-requests"),
        Endpoint("GET", lambda w: "/api/v1/cab-requests/?queue=pending", ALL_ROLES, label="pending-queue"),
        Endpoint("GET", lambda w: f"/api/v1/cab-requests/{_request(w).pk}/review/", ALL_ROLES, label="review"),
        Endpoint("GET", lambda w: "/api/v1/cab-decisions/", ALL_ROLES, label="list-decisions"),
        Endpoint("GET", lambda w: "/api/v1/cab-submissions/", ALL_ROLES, label="list-submissions"),
        Endpoint(
            "GET",
            lambda w: f"/api/v1/promotion-check/?intent={_approved(w).pk}&ring=canary",
            ALL_ROLES,
            label="promotion-check",
        ),
        Endpoint(
            "POST",
            lambda w: "/api/v1/cab-submissions/",
            frozenset({R.PACKAGING_ENGINEER}),
            201,
            body=lambda w: {**CAB_SUBMISSION, "intent": str(w.intent().pk)},
            ledger_action="cab_submission.created",
            label="create-submission",
        ),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/cab-requests/{_request(w).pk}/approve/",
            CAB,
            body=lambda w: {"reason": "fine", "expires_in_days": 14},
            ledger_actions=("cab.decision_recorded", "intent.approved"),
            label="approve",
        ),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/cab-requests/{_request(w).pk}/reject/",
            CAB,
            body=lambda w: {"reason": "rollback untested"},
            ledger_actions=("cab.decision_recorded", "intent.rejected"),
            label="reject",
        ),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/cab-requests/{_request(w).pk}/conditional/",
            CAB,
            body=lambda w: {"conditions": {"monitoring_window_hours": 48}},
            ledger_actions=("cab.decision_recorded", "intent.approved"),
            label="conditional",
        ),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/cab-decisions/{_decision(w)}/revoke/",
            frozenset({R.PLATFORM_ADMIN}),
            body=lambda w: {"reason": "approver left"},
            ledger_action="cab.approval_revoked",
            label="revoke",
        ),
    ]


class TestExceptionAndBreakGlassAccess(ResourceAccessTests):
    endpoints = [
        Endpoint("GET", lambda w: "/api/v1/exceptions/", ALL_ROLES, label="list-exceptions"),
        Endpoint("GET", lambda w: "/api/v1/break-glass/", ALL_ROLES, label="list-break-glass"),
        Endpoint(
            "POST",
            lambda w: "/api/v1/exceptions/",
            frozenset({R.PACKAGING_ENGINEER, R.PUBLISHER}),
            201,
            body=_exception_body,
            ledger_action="exception.requested",
            label="request-exception",
        ),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/exceptions/{_exception(w)}/approve/",
            frozenset({R.SECURITY_REVIEWER}),
            body=lambda w: {"reason": "accepted"},
            ledger_action="exception.approved",
            label="approve-exception",
        ),
        Endpoint(
            "POST",
            lambda w: "/api/v1/break-glass/",
            frozenset({R.PUBLISHER, R.SECURITY_REVIEWER, R.ENDPOINT_OPS}),
            201,
            body=lambda w: {"intent": str(_approved(w).pk), "priority": "P0", "reason": REASON, "duration_hours": 4},
            ledger_action="breakglass.requested",
            label="request-break-glass",
        ),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/break-glass/{_glass(w)}/confirm/",
            frozenset({R.SECURITY_REVIEWER, R.CAB_APPROVER}),
            ledger_action="breakglass.activated",
            label="confirm-break-glass",
        ),
    ]


class TestNotificationAccess(ResourceAccessTests):
    endpoints = [
        Endpoint("GET", lambda w: "/api/v1/notifications/", ALL_ROLES, label="list-notifications"),
        Endpoint("GET", lambda w: "/api/v1/webhooks/", ALL_ROLES, label="list-webhooks"),
        Endpoint(
            "POST",
            lambda w: "/api/v1/webhooks/",
            frozenset({R.PLATFORM_ADMIN}),
            201,
            body=lambda w: {"name": "siem", "url": "https://siem.example.com/hook", "events": ["breakglass.used"]},
            ledger_action="webhook_target.created",
            label="create-webhook",
        ),
    ]


# --- problems ---------------------------------------------------------------------------------------------


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    return dict(body)


@pytest.mark.django_db
def test_submit_with_incomplete_evidence_lists_every_gap(world: World) -> None:
    client = client_for(world.users[R.PUBLISHER])
    body = _problem(client.post(f"/api/v1/intents/{world.intent().pk}/submit/"), 409, "evidence-incomplete")
    assert {e["rule"] for e in body["errors"]} == {"artifact-registered", "pack-sealed"}


@pytest.mark.django_db
def test_separation_of_duties_is_a_403_problem_and_a_ledger_event(world: World) -> None:
    from fleetgate.identity import services as identity
    from tests.factories import BOOTSTRAP

    request = _request(world)
    identity.set_roles(  # the host path: one Platform Admin alone cannot grant CAB Approver
        actor=BOOTSTRAP,
        user_id=world.users[R.PUBLISHER].pk,
        roles=[
            {"role": "publisher", "boundary": "acme", "business_units": ["*"]},
            {"role": "cab_approver", "boundary": "acme", "business_units": ["*"]},
        ],
    )
    client = client_for(world.users[R.PUBLISHER])
    body = _problem(
        client.post(f"/api/v1/cab-requests/{request.pk}/approve/", {}, format="json"), 403, "separation-of-duties"
    )
    assert body["rule"] == "conflict-of-interest"
    event = LedgerEvent.objects.order_by("-sequence").first()
    assert event is not None
    assert (event.action, event.actor_id) == ("sod.refused", str(world.users[R.PUBLISHER].pk))


@pytest.mark.django_db
def test_closed_request_conditions_and_revoking_twice(world: World) -> None:
    request = _request(world)
    cab = client_for(world.users[R.CAB_APPROVER])
    bad = cab.post(
        f"/api/v1/cab-requests/{request.pk}/conditional/", {"conditions": {"max_ring": "global"}}, format="json"
    )
    body = _problem(bad, 400, "validation-error")
    assert [(e["field"], e["rule"]) for e in body["errors"]] == [("conditions.max_ring", "in-ring-plan")]
    unknown = cab.post(f"/api/v1/cab-requests/{request.pk}/conditional/", {"conditions": {"x": 1}}, format="json")
    assert _problem(unknown, 400, "validation-error")["errors"][0]["field"] == "conditions.x"
    no_reason = cab.post(f"/api/v1/cab-requests/{request.pk}/reject/", {}, format="json")
    assert _problem(no_reason, 400, "validation-error")["errors"][0]["field"] == "reason"
    ok = cab.post(f"/api/v1/cab-requests/{request.pk}/approve/", {}, format="json")
    assert ok.status_code == 200
    assert (ok.json()["state"], ok.json()["intent_state"]) == ("approved", "approved")
    other = client_for(make_user(None))
    _problem(other.post(f"/api/v1/cab-requests/{request.pk}/approve/", {}, format="json"), 403, "forbidden")
    closed = cab.post(f"/api/v1/cab-requests/{request.pk}/reject/", {"reason": "late"}, format="json")
    _problem(closed, 409, "request-closed")
    decision = ok.json()["decisions"][0]["id"]
    admin = client_for(world.users[R.PLATFORM_ADMIN])
    assert admin.post(f"/api/v1/cab-decisions/{decision}/revoke/", {"reason": "left"}, format="json").status_code == 200
    twice = admin.post(f"/api/v1/cab-decisions/{decision}/revoke/", {"reason": "again"}, format="json")
    _problem(twice, 409, "already-revoked")
    check = admin.get(f"/api/v1/promotion-check/?intent={request.intent_id}&ring=canary").json()
    assert check["ok"] is True
    review = cab.get(f"/api/v1/cab-requests/{request.pk}/review/").json()
    assert review["request"]["decisions"][0]["revoked"] is True
    assert review["approvals_in_force"] == 0


@pytest.mark.django_db
def test_queues_and_filters(world: World) -> None:
    request = _request(world)
    cab = client_for(world.users[R.CAB_APPROVER])
    assert [r["id"] for r in cab.get("/api/v1/cab-requests/?queue=pending").json()["results"]] == [str(request.pk)]
    publisher = client_for(world.users[R.PUBLISHER])
    assert publisher.get("/api/v1/cab-requests/?queue=pending").json()["results"] == []
    assert len(publisher.get("/api/v1/cab-requests/?queue=mine").json()["results"]) == 1
    assert cab.get("/api/v1/cab-requests/?state=approved").json()["results"] == []
    _problem(cab.get("/api/v1/promotion-check/?ring=pilot"), 400, "validation-error")
    _problem(cab.get("/api/v1/promotion-check/?intent=nope&ring=pilot"), 400, "validation-error")
    missing = "00000000-0000-0000-0000-000000000000"
    _problem(cab.get(f"/api/v1/promotion-check/?intent={missing}&ring=pilot"), 404, "not-found")
    pilot = cab.get(f"/api/v1/promotion-check/?intent={request.intent_id}&ring=canary").json()
    assert pilot["ok"] is True
    assert CabRequest.objects.count() == 1


@pytest.mark.django_db
def test_exception_and_break_glass_over_http(world: World) -> None:
    packager = client_for(world.users[R.PACKAGING_ENGINEER])
    created = packager.post("/api/v1/exceptions/", _exception_body(world), format="json")
    assert created.status_code == 201, created.content
    security = client_for(world.users[R.SECURITY_REVIEWER])
    pk = created.json()["id"]
    extend = security.post(f"/api/v1/exceptions/{pk}/extend/", {"days": 5, "reason": "vendor late"}, format="json")
    _problem(extend, 409, "invalid-transition")
    rejected = security.post(f"/api/v1/exceptions/{pk}/reject/", {"reason": "patch it"}, format="json")
    assert rejected.json()["state"] == "rejected"
    malware = packager.post("/api/v1/exceptions/", {**_exception_body(world), "subject": "malware"}, format="json")
    _problem(malware, 422, "malware-not-exceptable")
    glass = _glass(world)
    _problem(client_for(world.users[R.PUBLISHER]).post(f"/api/v1/break-glass/{glass}/confirm/"), 403, "forbidden")
    cab = client_for(world.users[R.CAB_APPROVER])
    assert cab.post(f"/api/v1/break-glass/{glass}/confirm/").json()["state"] == "active"
    review = cab.post(
        f"/api/v1/break-glass/{glass}/review/", {"notes": "I confirmed it myself, reviewing."}, format="json"
    )
    _problem(review, 403, "separation-of-duties")
    assert PolicyException.objects.count() == 1


@pytest.mark.django_db
def test_webhook_target_secret_shown_once_and_deliveries_listed(world: World) -> None:
    admin: APIClient = client_for(world.users[R.PLATFORM_ADMIN])
    made = admin.post("/api/v1/webhooks/", {"name": "soc", "url": "https://soc.example.com/h"}, format="json").json()
    assert len(made["secret"]) >= 32
    listed = admin.get("/api/v1/webhooks/").json()
    assert "secret" not in listed[0]
    assert admin.get(f"/api/v1/webhooks/{made['id']}/deliveries/").json() == []
    off = admin.post(f"/api/v1/webhooks/{made['id']}/activation/", {"active": False}, format="json")
    assert off.json()["active"] is False
    _problem(client_for(world.users[R.PUBLISHER]).get(f"/api/v1/webhooks/{made['id']}/deliveries/"), 403, "forbidden")
    _request(world)
    cab = client_for(world.users[R.CAB_APPROVER])
    events = [n["event"] for n in cab.get("/api/v1/notifications/").json()["results"]]
    assert events == ["cab_request.opened"]
    assert client_for(world.users[R.ENDPOINT_OPS]).get("/api/v1/notifications/").json()["results"] == []
