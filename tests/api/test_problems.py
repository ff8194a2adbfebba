"""Bad input: each gets a clear RFC 9457 problem, never a 500, a partial write or a missing event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from fleetgate.audit.models import LedgerEvent
from fleetgate.catalog.models import Artifact
from fleetgate.core.roles import Role
from fleetgate.identity.models import ApiToken
from fleetgate.intents.models import DeploymentIntent
from tests.api.base import client_for
from tests.factories import World, intent_data, make_actor, sealed_intent
from tests.redis_dbs import PROBLEMS, redis_url

pytestmark = pytest.mark.django_db


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:600]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert body["type"] == f"urn:fleetgate:problem:{code}"
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["correlation_id"]
    return dict(body)


def _fields(body: dict[str, Any]) -> set[tuple[str, str]]:
    return {(e["field"], e["rule"]) for e in body.get("errors", [])}


@pytest.fixture
def publisher(world: World) -> APIClient:
    return client_for(world.users[Role.PUBLISHER])


def _payload(world: World, **overrides: Any) -> dict[str, Any]:
    return {**intent_data(world.app), "application": str(world.app.pk), **overrides}


def test_malformed_json(world: World, publisher: APIClient) -> None:
    response = publisher.post("/api/v1/intents/", data='{"name": ', content_type="application/json")
    _problem(response, 400, "malformed-request")


def test_wrong_types_name_the_field(world: World, publisher: APIClient) -> None:
    plan = [{"ring": "lab", "target_group": "g", "device_count": "ten"}]
    body = _problem(
        publisher.post(
            "/api/v1/intents/", _payload(world, ring_plan=plan, target_site_classes="online"), format="json"
        ),
        400,
        "validation-error",
    )
    assert ("ring_plan[0].device_count", "invalid") in _fields(body)
    assert any(f == "target_site_classes" for f, _ in _fields(body))


def test_unknown_fields_are_refused_at_every_level(world: World, publisher: APIClient) -> None:
    plan = [{"ring": "lab", "target_group": "g", "device_count": 5, "colour": "red"}]
    body = _problem(
        publisher.post("/api/v1/intents/", _payload(world, ring_plan=plan, risk_score=3), format="json"),
        400,
        "validation-error",
    )
    assert {("risk_score", "unknown-field"), ("ring_plan[0].colour", "unknown-field")} <= _fields(body)
    assert not DeploymentIntent.objects.exists()


def test_domain_validation_through_the_api(world: World, publisher: APIClient) -> None:
    body = _problem(
        publisher.post(
            "/api/v1/intents/",
            _payload(world, ring_plan=[{"ring": "canary", "target_group": "g", "device_count": 5}]),
            format="json",
        ),
        400,
        "validation-error",
    )
    assert ("ring_plan[0].ring", "starts-with-lab") in _fields(body)


def test_oversized_body_is_413(world: World, publisher: APIClient, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = publisher.post("/api/v1/intents/", _payload(world, change_reason="x" * 5000), format="json")
    _problem(response, 413, "payload-too-large")
    assert not DeploymentIntent.objects.exists()


def test_oversized_upload_is_413_and_leaves_nothing(world: World, settings: Any) -> None:
    settings.FLEETGATE_MAX_UPLOAD_BYTES = 1024
    client = client_for(world.users[Role.PACKAGING_ENGINEER])
    version = world.app.versions.get(version="1.0.0")
    before = LedgerEvent.objects.count()
    response = client.post(
        "/api/v1/artifacts/",
        {
            "version": str(version.pk),
            "platform": "windows",
            "format": "msi",
            "file": SimpleUploadedFile("big.msi", b"x" * 300_000),
        },
        format="multipart",
    )
    _problem(response, 413, "payload-too-large")
    assert not Artifact.objects.exists()
    assert LedgerEvent.objects.count() == before


def test_upload_digest_mismatch_and_missing_file(world: World) -> None:
    client = client_for(world.users[Role.PACKAGING_ENGINEER])
    version = world.app.versions.get(version="1.0.0")
    body = _problem(
        client.post(
            "/api/v1/artifacts/",
            {
                "version": str(version.pk),
                "platform": "windows",
                "format": "msi",
                "sha256": "a" * 64,
                "file": SimpleUploadedFile("a.msi", b"bytes"),
            },
            format="multipart",
        ),
        400,
        "validation-error",
    )
    assert ("sha256", "digest-mismatch") in _fields(body)
    body = _problem(
        client.post(
            "/api/v1/artifacts/",
            {"version": str(version.pk), "platform": "windows", "format": "zip"},
            format="multipart",
        ),
        400,
        "validation-error",
    )
    assert {"file", "format"} <= {f for f, _ in _fields(body)}
    _problem(
        client.post("/api/v1/artifacts/", {"version": str(version.pk)}, format="json"), 415, "unsupported-media-type"
    )


def test_invalid_semver(world: World) -> None:
    client = client_for(world.users[Role.PACKAGING_ENGINEER])
    body = _problem(
        client.post("/api/v1/versions/", {"application": str(world.app.pk), "version": "1.2"}, format="json"),
        400,
        "validation-error",
    )
    assert _fields(body) == {("version", "semver")}


def test_scope_outside_publisher_scope(world: World) -> None:
    globex = make_actor(Role.PUBLISHER, boundary="globex")
    from django.contrib.auth import get_user_model

    client = client_for(get_user_model().objects.get(pk=globex.user_pk))
    _problem(client.post("/api/v1/intents/", _payload(world), format="json"), 403, "scope-violation")


def test_transition_not_allowed(world: World, publisher: APIClient) -> None:
    intent = world.intent()
    assert publisher.post(f"/api/v1/intents/{intent.pk}/cancel/", {}, format="json").status_code == 200
    body = _problem(publisher.post(f"/api/v1/intents/{intent.pk}/submit/"), 409, "invalid-transition")
    assert body["state"] == "cancelled"
    assert body["allowed_actions"] == []


def test_active_change_conflict(world: World, publisher: APIClient) -> None:
    first, second = sealed_intent(world).intent, world.intent()  # submitting needs sealed evidence
    assert publisher.post(f"/api/v1/intents/{first.pk}/submit/").status_code == 200
    body = _problem(publisher.post(f"/api/v1/intents/{second.pk}/submit/"), 409, "active-change-conflict")
    assert body["conflicting_intent"] == str(first.pk)


def test_etag_flow(world: World, publisher: APIClient) -> None:
    intent = world.intent()
    read = publisher.get(f"/api/v1/intents/{intent.pk}/")
    etag = read["ETag"]
    assert etag == read.json()["etag"]
    _problem(
        publisher.patch(f"/api/v1/intents/{intent.pk}/", {"title": "x"}, format="json"), 428, "precondition-required"
    )
    ok = publisher.patch(f"/api/v1/intents/{intent.pk}/", {"title": "first"}, format="json", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200
    assert ok["ETag"] != etag
    body = _problem(
        publisher.patch(f"/api/v1/intents/{intent.pk}/", {"title": "second"}, format="json", HTTP_IF_MATCH=etag),
        412,
        "stale-etag",
    )
    assert body["current_etag"] == ok["ETag"]
    assert DeploymentIntent.objects.get(pk=intent.pk).title == "first"


@pytest.mark.parametrize("header", ["", "Bearer ", "Bearer fg_nope", "Bearer fg_abc_def", "Token abc"])
def test_missing_or_bad_token(world: World, header: str) -> None:
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    _problem(client.get("/api/v1/intents/"), 401, "not-authenticated")


def test_expired_and_revoked_tokens(world: World) -> None:
    client = client_for(world.users[Role.AUDITOR])
    assert client.get("/api/v1/intents/").status_code == 200
    token = ApiToken.objects.filter(user=world.users[Role.AUDITOR]).latest("created_at")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "expired" in _problem(client.get("/api/v1/intents/"), 401, "not-authenticated")["detail"]
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() + timedelta(days=1), revoked_at=timezone.now()
    )
    assert "revoked" in _problem(client.get("/api/v1/intents/"), 401, "not-authenticated")["detail"]


def test_sql_and_html_are_stored_and_returned_inert(world: World, publisher: APIClient) -> None:
    nasty = "<script>alert(1)</script>'; DROP TABLE intents_deploymentintent; --"
    response = publisher.post("/api/v1/intents/", _payload(world, title=nasty, change_reason=nasty), format="json")
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    fetched = publisher.get(f"/api/v1/intents/{response.json()['id']}/").json()
    assert fetched["title"] == nasty
    assert DeploymentIntent.objects.count() == 1
    search = publisher.get("/api/v1/intents/", {"q": "'; DROP TABLE"})
    assert search.status_code == 200
    assert len(search.json()["results"]) == 1


def test_not_found_and_method_not_allowed(world: World, publisher: APIClient) -> None:
    _problem(publisher.get("/api/v1/intents/00000000-0000-0000-0000-000000000000/"), 404, "not-found")
    _problem(publisher.get("/api/v1/intents/not-a-uuid/"), 404, "not-found")
    _problem(publisher.get("/api/v1/no-such-thing/"), 404, "not-found")
    _problem(publisher.delete(f"/api/v1/intents/{world.intent().pk}/"), 405, "method-not-allowed")
    _problem(publisher.get("/api/v1/ledger/export/", {"after_sequence": "x"}), 403, "forbidden")


def test_bad_query_parameters(world: World) -> None:
    auditor = client_for(world.users[Role.AUDITOR])
    body = _problem(auditor.get("/api/v1/ledger/export/", {"after_sequence": "x"}), 400, "validation-error")
    assert _fields(body) == {("after_sequence", "integer")}
    _problem(auditor.get("/api/v1/intents/", {"state": "bogus"}), 400, "validation-error")
    _problem(auditor.get("/api/v1/ledger/", {"since": "yesterday"}), 400, "validation-error")


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_throttling_returns_429_with_retry_after(world: World, monkeypatch: Any, settings: Any, backend: str) -> None:
    from django.core.cache import caches
    from rest_framework.throttling import UserRateThrottle

    if backend == "redis":  # the shared cache that makes limits hold across gunicorn workers
        redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url(PROBLEMS)}
        settings.CACHES = {"default": redis, "shared": {**redis, "KEY_PREFIX": "shared"}}
    cache = caches["shared"]  # where every throttle counts
    cache.clear()
    monkeypatch.setattr(UserRateThrottle, "rate", "3/min", raising=False)
    client = client_for(world.users[Role.AUDITOR])
    statuses = [client.get("/api/v1/intents/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/intents/")
    body = _problem(response, 429, "rate-limited")
    assert int(response["Retry-After"]) == body["retry_after"] > 0
    cache.clear()


def test_unexpected_error_is_a_problem_not_a_traceback(world: World, publisher: APIClient, monkeypatch: Any) -> None:
    from fleetgate.intents import services

    def explode(**kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "submit", explode)
    body = _problem(publisher.post(f"/api/v1/intents/{world.intent().pk}/submit/"), 500, "internal-error")
    assert "boom" not in body["detail"]
