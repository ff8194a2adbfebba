"""Rollouts, jobs, incidents, maintenance windows and the change freeze over HTTP: every role,
the problem for each refusal, the ledger row for each mutation."""

from __future__ import annotations

import pytest

from fleetgate.approvals import services as approvals
from fleetgate.core.roles import Role
from tests.api.base import ALL_ROLES, Endpoint, ResourceAccessTests, client_for
from tests.factories import World, sealed_intent

R = Role
WINDOW = {
    "name": "Saturday night",
    "kind": "window",
    "boundary": "acme",
    "timezone": "Europe/Berlin",
    "starts_local": "2026-12-05T22:00",
    "duration_minutes": 240,
    "rrule": "FREQ=WEEKLY;BYDAY=SA",
}


class TestRolloutAccess(ResourceAccessTests):
    endpoints = [
        Endpoint("GET", lambda w: "/api/v1/rollouts/", ALL_ROLES, label="list-rollouts"),
        Endpoint("GET", lambda w: "/api/v1/jobs/", ALL_ROLES, label="list-jobs"),
        Endpoint("GET", lambda w: "/api/v1/incidents/", ALL_ROLES, label="list-incidents"),
        Endpoint("GET", lambda w: "/api/v1/maintenance-windows/", ALL_ROLES, label="list-windows"),
        Endpoint("GET", lambda w: "/api/v1/change-freeze/", ALL_ROLES, label="get-freeze"),
        Endpoint("POST", lambda w: f"/api/v1/intents/{w.intent().pk}/plan/", ALL_ROLES, label="plan"),
        Endpoint(
            "POST",
            lambda w: "/api/v1/incidents/",
            frozenset({R.ENDPOINT_OPS, R.SECURITY_REVIEWER, R.PUBLISHER}),
            201,
            body=lambda w: {"intent": str(w.intent().pk), "priority": "P3", "title": "slow logon"},
            ledger_action="incident.opened",
            label="open-incident",
        ),
        Endpoint(
            "POST",
            lambda w: "/api/v1/maintenance-windows/",
            frozenset({R.PLATFORM_ADMIN, R.ENDPOINT_OPS}),
            201,
            body=lambda w: WINDOW,
            ledger_action="window.created",
            label="create-window",
        ),
        Endpoint(
            "POST",
            lambda w: "/api/v1/change-freeze/",
            frozenset({R.PLATFORM_ADMIN}),
            body=lambda w: {"active": True, "reason": "year-end audit"},
            ledger_action="freeze.on",
            label="freeze-on",
        ),
    ]


@pytest.mark.django_db
def test_bad_window_names_field_and_rule(world: World) -> None:
    client = client_for(world.users[R.PLATFORM_ADMIN])
    bad = {**WINDOW, "timezone": "Mars/Olympus", "rrule": "FREQ=SOMETIMES"}
    response = client.post("/api/v1/maintenance-windows/", bad, format="json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    fields = {(e["field"], e["rule"]) for e in response.json()["errors"]}
    assert ("timezone", "timezone") in fields


@pytest.mark.django_db
def test_start_without_a_plane_is_a_409_naming_the_platform(world: World) -> None:
    sealed = sealed_intent(world, rollback_plan={"strategy": "uninstall"})
    approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
    response = client_for(world.users[R.PUBLISHER]).post(f"/api/v1/intents/{sealed.intent.pk}/start/")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "no-route"
    assert "windows" in body["detail"]


@pytest.mark.django_db
def test_actions_on_an_unknown_rollout_are_404_problems(world: World) -> None:
    client = client_for(world.users[R.PUBLISHER])
    response = client.post("/api/v1/rollouts/not-a-uuid/pause/", {"reason": "x"}, format="json")
    assert response.status_code == 404
    unknown = "/api/v1/rollouts/3f2b6c1e-8a4d-4b7e-9c1a-2d5e6f708192/halt/"
    response = client.post(unknown, {"reason": "x"}, format="json")
    assert response.status_code == 404
