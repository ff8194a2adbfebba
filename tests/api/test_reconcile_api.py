"""Drift and reconciliation passes over HTTP: every role, the problem for each refusal, the ledger
row for each decision, and the serializers' shape (the Drift page reads these fields)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from fleetgate.core.roles import Role
from fleetgate.intents import services as intents
from fleetgate.reconcile.models import Drift
from tests.api.base import ALL_ROLES, Endpoint, ResourceAccessTests, client_for
from tests.factories import World, intent_data, make_actor, make_application, make_connector, make_version

R = Role
OPS = frozenset({R.ENDPOINT_OPS})
RUNNERS = frozenset({R.PLATFORM_ADMIN, R.ENDPOINT_OPS})


def drift(world: World, route: str = "endpoint_ops", kind: str = "missing", **extra: Any) -> Drift:
    intent = world.intent()
    connector = make_connector(world.actors[R.PLATFORM_ADMIN])
    return Drift.objects.create(
        fingerprint=f"{intent.pk}:{connector.pk}:FG-LAB:{kind}:dev-1",
        scope_key=f"group:{connector.pk}:FG-LAB",
        intent=intent,
        connector=connector,
        kind=kind,
        severity="low",
        plane="jamf",
        ring="lab",
        group="FG-LAB",
        device="dev-1",
        device_name="WS-LAB-00001",
        expected={"version": "1.0.0", "state": "installed"},
        observed={"state": "failed", "detail": "0x87D00324"},
        summary="WS-LAB-00001 lacks the app",
        boundary=intent.target_boundary,
        business_unit=intent.target_business_unit,
        route=route,
        **extra,
    )


def _in_a_week(w: World) -> dict[str, str]:
    return {"reason": "pilot asked for it early", "expires_at": (timezone.now() + timedelta(days=7)).isoformat()}


class TestReconcileAccess(ResourceAccessTests):
    endpoints = [
        Endpoint("GET", lambda w: "/api/v1/drift/", ALL_ROLES, label="list-drift"),
        Endpoint("GET", lambda w: "/api/v1/drift/summary/", ALL_ROLES, label="drift-summary"),
        Endpoint("GET", lambda w: f"/api/v1/drift/{drift(w).pk}/", ALL_ROLES, label="show-drift"),
        Endpoint("GET", lambda w: "/api/v1/reconcile/runs/", ALL_ROLES, label="list-passes"),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/drift/{drift(w).pk}/acknowledge/",
            OPS,
            body=lambda w: {"reason": "looking"},
            ledger_action="drift.acknowledged",
            label="acknowledge",
        ),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/drift/{drift(w).pk}/resolve/",
            OPS,
            body=lambda w: {"reason": "reinstalled by hand"},
            ledger_action="drift.resolved",
            label="resolve",
        ),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/drift/{drift(w, route='cab', kind='extra').pk}/accept/",
            frozenset({R.CAB_APPROVER}),
            body=_in_a_week,
            ledger_action="drift.accepted",
            label="accept-extra",
        ),
        Endpoint(
            "POST",
            lambda w: "/api/v1/reconcile/runs/",
            RUNNERS,
            body=lambda w: {"intent": str(w.intent().pk), "dry_run": True},
            label="dry-run",
        ),
        Endpoint(
            "POST",
            lambda w: "/api/v1/reconcile/runs/",
            frozenset({R.PLATFORM_ADMIN}),  # every intent of every scope: only a grant that covers them all
            body=lambda w: {"dry_run": True},
            label="dry-run-everything",
        ),
        Endpoint(
            "POST",
            lambda w: "/api/v1/reconcile/runs/",
            RUNNERS,
            202,
            body=lambda w: {"intent": str(w.intent().pk)},
            ledger_action="reconcile.requested",
            label="request-pass",
        ),
    ]


@pytest.mark.django_db
def test_drift_serializer_and_filters() -> None:
    world = World.build()
    row = drift(world)
    client = client_for(world.users[R.AUDITOR])
    body = client.get("/api/v1/drift/", {"kind": "missing", "plane": "jamf", "ring": "lab"}).json()
    assert [r["id"] for r in body["results"]] == [str(row.pk)]
    first = body["results"][0]
    for name in ("kind", "severity", "status", "route", "plane", "ring", "group", "device", "expected", "observed"):
        assert name in first
    assert first["first_seen"]
    assert first["last_seen"]
    assert first["etag"] == row.etag
    assert client.get("/api/v1/drift/", {"kind": "extra"}).json()["results"] == []
    summary = client.get("/api/v1/drift/summary/").json()
    assert summary == {"by_kind": {"missing": 1}, "by_status": {"open": 1}, "total": 1}


@pytest.mark.django_db
def test_people_see_only_the_drift_of_their_scope() -> None:
    world = World.build()
    row = drift(world)
    Drift.objects.filter(pk=row.pk).update(boundary="elsewhere")
    ops = client_for(world.users[R.ENDPOINT_OPS])
    assert ops.get("/api/v1/drift/").json()["results"] == []
    assert ops.get(f"/api/v1/drift/{row.pk}/").status_code == 404
    assert len(client_for(world.users[R.AUDITOR]).get("/api/v1/drift/").json()["results"]) == 1


@pytest.mark.django_db
def test_accept_problem_names_the_field_and_rule() -> None:
    world = World.build()
    row = drift(world)
    response = client_for(world.users[R.ENDPOINT_OPS]).post(
        f"/api/v1/drift/{row.pk}/accept/",
        {"reason": "fine", "expires_at": (timezone.now() + timedelta(days=120)).isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [("expires_at", "max_90_days")]


@pytest.mark.django_db
def test_stale_etag_is_refused_and_resolved_cannot_be_resolved_again() -> None:
    world = World.build()
    row = drift(world)
    ops = client_for(world.users[R.ENDPOINT_OPS])
    stale = ops.post(f"/api/v1/drift/{row.pk}/resolve/", {"reason": "x"}, format="json", HTTP_IF_MATCH='"nope"')
    assert stale.status_code == 412
    assert ops.post(f"/api/v1/drift/{row.pk}/resolve/", {"reason": "x"}, format="json").status_code == 200
    again = ops.post(f"/api/v1/drift/{row.pk}/resolve/", {"reason": "x"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid-transition"


@pytest.mark.django_db
def test_pass_for_an_unknown_intent_is_404() -> None:
    world = World.build()
    response = client_for(world.users[R.ENDPOINT_OPS]).post(
        "/api/v1/reconcile/runs/", {"intent": "00000000-0000-0000-0000-000000000000"}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "intent"


@pytest.mark.django_db
def test_a_pass_is_asked_for_only_within_the_askers_scope() -> None:
    """A scoped Endpoint Ops cannot reconcile (or dry-run, which reads) another boundary's intents."""
    world = World.build()
    globex_app = make_application(make_actor(R.PLATFORM_ADMIN, boundary="globex"), boundary="globex")
    make_version(make_actor(R.PACKAGING_ENGINEER, boundary="globex"), globex_app, "1.0.0")
    publisher = make_actor(R.PUBLISHER, boundary="globex")
    theirs = intents.create(actor=publisher, data=intent_data(globex_app, target_boundary="globex"))
    ops = client_for(world.users[R.ENDPOINT_OPS])  # acme only
    for body in ({"intent": str(theirs.pk)}, {"intent": str(theirs.pk), "dry_run": True}):
        response = ops.post("/api/v1/reconcile/runs/", body, format="json")
        assert response.status_code == 404, response.json()
        assert response.json()["errors"][0]["field"] == "intent"
    for body in ({}, {"dry_run": True}):
        response = ops.post("/api/v1/reconcile/runs/", body, format="json")
        assert response.status_code == 403
        assert (response.json()["code"], response.json()["errors"][0]["field"]) == ("scope-violation", "intent")
    assert ops.post("/api/v1/reconcile/runs/", {"intent": str(world.intent().pk)}, format="json").status_code == 202
