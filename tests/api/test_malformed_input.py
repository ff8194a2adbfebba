"""Input that used to earn a 500, an HTML page or a silent 200: each is now a problem naming the rule."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from fleetgate.core.roles import Role
from tests.api.base import client_for
from tests.factories import World

pytestmark = pytest.mark.django_db


def _problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content[:600]
    assert response["Content-Type"] == "application/problem+json", response.content[:300]
    body = response.json()
    assert body["status"] == status
    assert body["correlation_id"]
    if code is not None:
        assert body["code"] == code
    return dict(body)


def _rules(body: dict[str, Any]) -> set[tuple[str, str]]:
    return {(e["field"], e["rule"]) for e in body.get("errors", [])}


@pytest.fixture
def cab(world: World) -> APIClient:
    return client_for(world.users[Role.CAB_APPROVER])


@pytest.mark.parametrize("action", ["approve", "reject", "conditional"])
@pytest.mark.parametrize("bad_id", ["null,null", "1", "not-a-uuid", "3f2b6c1e-8a4d-4b7e-9c1a-2d5e6f70819"])
def test_malformed_id_in_a_detail_route_is_404_not_500(cab: APIClient, action: str, bad_id: str) -> None:
    body = _problem(
        cab.post(f"/api/v1/cab-requests/{bad_id}/{action}/", {"reason": "ok"}, format="json"), 404, "not-found"
    )
    assert "UUID" in body["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/intents/xyz/",
        "/api/v1/applications/1/",
        "/api/v1/exceptions/zz/approve/",
        "/api/v1/ledger/" + "9" * 30 + "/",
    ],
)
def test_every_detail_route_checks_its_id(world: World, url: str) -> None:
    client = client_for(world.users[Role.AUDITOR])
    _problem(client.get(url) if "approve" not in url else client.post(url, {}, format="json"), 404, "not-found")


def test_deep_json_is_refused_before_authorization(world: World) -> None:
    deep = "[" * 1000 + "]" * 1000
    anonymous = Client()
    body = _problem(anonymous.post("/api/v1/auth/login/", deep, content_type="application/json"), 400)
    assert ("body", "max-depth") in _rules(body)
    publisher = client_for(world.users[Role.PUBLISHER])
    nested: Any = {}
    for _ in range(200):
        nested = {"a": nested}
    body = _problem(publisher.post("/api/v1/intents/", {"name": nested}, format="json"), 400, "malformed-request")
    assert ("body", "max-depth") in _rules(body)


@pytest.mark.parametrize(
    ("literal", "rule"),
    [("1" * 5000, "int64"), ("9223372036854775808", "int64"), ("1e400", "finite-number"), ("NaN", "finite-number")],
)
def test_numbers_out_of_range_are_refused(world: World, literal: str, rule: str) -> None:
    client = client_for(world.users[Role.PUBLISHER])
    plan = '[{"ring": "lab", "target_group": "g", "device_count": ' + literal + "}]"
    raw = '{"name": "x", "ring_plan": ' + plan + "}"
    body = _problem(client.post("/api/v1/intents/", raw, content_type="application/json"), 400, "malformed-request")
    assert ("body", rule) in _rules(body)


def test_json_types_are_not_coerced(world: World) -> None:
    client = client_for(world.users[Role.PLATFORM_ADMIN])
    body = _problem(
        client.post("/api/v1/webhooks/", {"name": 5, "url": "https://siem.example", "events": []}, format="json"),
        400,
        "validation-error",
    )
    assert ("name", "type") in _rules(body)


def test_post_without_trailing_slash_is_routed_not_redirected(world: World) -> None:
    client = client_for(world.users[Role.AUDITOR])
    response = client.post("/api/v1/ledger/verify", format="json")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["ok"] is True
    _problem(client.post("/api/v1/no-such-thing", {"a": 1}, format="json"), 404, "not-found")


def test_login_without_csrf_cookie_is_a_problem() -> None:
    client = Client(enforce_csrf_checks=True)
    body = _problem(
        client.post("/api/v1/auth/login/", {"username": "a", "password": "b"}, content_type="application/json"),
        403,
        "csrf-failed",
    )
    assert ("X-CSRFToken", "csrf") in _rules(body)


def test_bad_host_header_is_a_problem() -> None:
    body = _problem(Client().get("/api/v1/me/", HTTP_HOST="evil.example"), 400, "bad-host")
    assert ("Host", "allowed-hosts") in _rules(body)


def test_unknown_url_outside_the_api_and_unknown_method_are_problems(world: World) -> None:
    _problem(Client().get("/static/nothing-here.js"), 404, "not-found")
    client = client_for(world.users[Role.AUDITOR])
    _problem(client.generic("TRACE", "/api/v1/artifacts/?format=msi"), 405, "method-not-allowed")
    assert client.get("/api/v1/artifacts/?format=msi").status_code == 200  # a filter, not a renderer switch


# Filters and pagination: the contract's types, enforced.


def test_unknown_uuid_filter_is_an_empty_list(world: World) -> None:
    client = client_for(world.users[Role.AUDITOR])
    for url in (f"/api/v1/versions/?application={uuid.uuid4()}", f"/api/v1/cab-submissions/?intent={uuid.uuid4()}"):
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        assert response.json()["results"] == []
    listed = client.get(f"/api/v1/versions/?application={world.app.pk}").json()["results"]
    assert {v["version"] for v in listed} == set(world.app.versions.values_list("version", flat=True))
    assert len(listed) == 2


@pytest.mark.parametrize(
    ("url", "field", "rule"),
    [
        ("/api/v1/versions/?application=not-a-uuid", "application", "invalid"),
        ("/api/v1/versions/?application=", "application", "not-empty"),
        ("/api/v1/users/?is_active=junk", "is_active", "boolean"),
        ("/api/v1/applications/?privileged_tooling=null", "privileged_tooling", "boolean"),
        ("/api/v1/intents/?state=nonsense", "state", "invalid_choice"),
        ("/api/v1/intents/?state=", "state", "not-empty"),
        ("/api/v1/cab-submissions/?version=0.5", "version", "integer"),
        ("/api/v1/cab-submissions/?version=" + "9" * 30, "version", "integer"),
        ("/api/v1/intents/?page_size=junk", "page_size", "range"),
        ("/api/v1/intents/?page_size=0", "page_size", "range"),
        ("/api/v1/intents/?page_size=501", "page_size", "range"),
        ("/api/v1/ledger/?page_size=%C2%B2", "page_size", "range"),
    ],
)
def test_junk_filters_are_400_naming_the_parameter(world: World, url: str, field: str, rule: str) -> None:
    client = client_for(world.users[Role.PLATFORM_ADMIN])
    body = _problem(client.get(url), 400, "validation-error")
    assert (field, rule) in _rules(body), body


def test_valid_filters_still_filter(world: World) -> None:
    client = client_for(world.users[Role.PLATFORM_ADMIN])
    assert client.get("/api/v1/users/?is_active=true&page_size=2").status_code == 200
    assert client.get("/api/v1/applications/?privileged_tooling=false").json()
    assert client.get("/api/v1/applications/?privileged_tooling=true").json() == []


@pytest.mark.parametrize("url", ["/api/v1/intents/", "/api/v1/ledger/verify/", "/api/v1/dashboard/"])
def test_options_is_405_not_introspection(world: World, url: str) -> None:
    """DRF's OPTIONS metadata introspects serializers and raised (500) on views without one; no CORS here."""
    client = client_for(world.users[Role.AUDITOR])
    _problem(client.options(url), 405, "method-not-allowed")


@pytest.mark.django_db
def test_a_time_zone_offset_no_database_stores_is_a_400_naming_the_filter() -> None:
    """Found by schemathesis on PostgreSQL: `since=0107-11-05T10:53:08+21:14` reached the database (500)."""
    from tests.api.base import client_for
    from tests.factories import make_user

    client = client_for(make_user("auditor"))
    response = client.get("/api/v1/ledger/", {"since": "0107-11-05T10:53:08+21:14"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "since"
    assert client.get("/api/v1/ledger/", {"since": "2026-12-01T10:00:00+14:00"}).status_code == 200
