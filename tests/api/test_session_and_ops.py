"""Browser sessions with CSRF, who-am-I, health, metrics and the published contract."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from rest_framework.test import APIClient

from fleetgate.core.roles import Role
from tests.factories import PASSWORD, World

pytestmark = pytest.mark.django_db


def test_session_login_requires_csrf_and_works(world: World) -> None:
    client = APIClient(enforce_csrf_checks=True)
    anonymous = client.get("/api/v1/auth/session/")
    assert anonymous.json() == {"authenticated": False, "user": None}
    token = anonymous.cookies["csrftoken"].value
    username = world.users[Role.PUBLISHER].username
    refused = client.post("/api/v1/auth/login/", {"username": username, "password": PASSWORD}, format="json")
    assert refused.status_code == 403
    wrong = client.post(
        "/api/v1/auth/login/", {"username": username, "password": "nope"}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert wrong.status_code == 401
    ok = client.post(
        "/api/v1/auth/login/", {"username": username, "password": PASSWORD}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert ok.status_code == 200
    assert ok.json()["user"]["roles"] == [{"role": "publisher", "boundary": "acme", "business_units": ["*"]}]
    token = client.cookies["csrftoken"].value
    assert client.get("/api/v1/me/").json()["username"] == username
    assert client.get("/api/v1/auth/session/").json()["authenticated"] is True
    assert client.post("/api/v1/intents/", {}, format="json").status_code == 403  # unsafe method without CSRF
    assert client.post("/api/v1/auth/logout/", HTTP_X_CSRFTOKEN=token).status_code == 204
    assert client.get("/api/v1/me/").status_code == 401


def test_health_and_metrics(client: Any) -> None:
    assert client.get("/health/live").json() == {"status": "ok"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "ledger": "ok"}
    client.get("/health/live")


def test_metrics_need_an_oversight_token_or_an_allowed_address(world: World, monkeypatch: Any) -> None:
    from fleetgate.api import health
    from fleetgate.core import clientip
    from tests.api.base import client_for

    anonymous = APIClient().get("/metrics")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not-authenticated")
    assert APIClient().get("/metrics", HTTP_AUTHORIZATION="Bearer fg_nope_nope").status_code == 401
    refused = client_for(world.users[Role.PUBLISHER]).get("/metrics")
    assert (refused.status_code, refused["Content-Type"]) == (403, "application/problem+json")
    for role in (Role.AUDITOR, Role.PLATFORM_ADMIN):
        metrics = client_for(world.users[role]).get("/metrics").content.decode()
        assert "fleetgate_http_requests_total" in metrics
        assert "fleetgate_ledger_head_sequence" in metrics
    session = APIClient()
    session.force_login(world.users[Role.AUDITOR])
    assert session.get("/metrics").status_code == 200
    monkeypatch.setattr(health, "METRICS_ALLOW", clientip.networks(["10.9.0.0/16"]))
    assert APIClient().get("/metrics", REMOTE_ADDR="10.9.3.4").status_code == 200
    assert APIClient().get("/metrics", REMOTE_ADDR="10.8.3.4", HTTP_X_FORWARDED_FOR="10.9.3.4").status_code == 401


def test_schema_and_docs_are_served(client: Any) -> None:
    schema = yaml.safe_load(client.get("/api/schema/").content)
    assert schema["openapi"].startswith("3.1")
    assert "/api/v1/intents/{id}/submit/" in schema["paths"]
    assert schema["components"]["schemas"]["Problem"]["required"][0] == "type"
    assert client.get("/api/docs/").status_code == 200


def test_ui_fallback_for_client_routes(client: Any, settings: Any, tmp_path: Any, monkeypatch: Any) -> None:
    from fleetgate.api import spa

    missing = client.get("/intents/123")
    if not spa.INDEX.exists():
        assert missing.status_code == 503
        assert b"make run" in missing.content
    index = tmp_path / "index.html"
    index.write_text("<!doctype html><title>Fleetgate</title>")
    monkeypatch.setattr(spa, "INDEX", index)
    page = client.get("/intents/123")
    assert page.status_code == 200
    assert b"Fleetgate" in b"".join(page.streaming_content)


def test_dashboard_shows_what_waits_for_me(world: World) -> None:
    from tests.api.base import client_for

    world.intent()
    board = client_for(world.users[Role.PUBLISHER]).get("/api/v1/dashboard/").json()
    assert board["intents_by_state"]["draft"] == 1
    assert [item["action"] for item in board["awaiting_my_action"]] == ["submit"]
    assert board["recent_events"][0]["action"] == "token.created"
    assert client_for(world.users[Role.AUDITOR]).get("/api/v1/dashboard/").json()["awaiting_my_action"] == []


def test_request_log_line_carries_the_correlation_id(client: Any, caplog: Any) -> None:
    import logging

    caplog.set_level(logging.INFO, logger="fleetgate.http")
    response = client.get("/health/live", HTTP_X_CORRELATION_ID="trace-42")
    assert response["X-Correlation-ID"] == "trace-42"
    lines = [r.msg for r in caplog.records if r.name == "fleetgate.http"]
    assert lines
    assert lines[-1]["event"] == "http_request"
    assert lines[-1]["status"] == 200
    assert lines[-1]["correlation_id"] == "trace-42"
    generated = client.get("/health/live")["X-Correlation-ID"]
    assert len(generated) == 36


def _login(client: APIClient, username: str = "x", password: str = "y", **headers: str) -> Any:
    return client.post("/api/v1/auth/login/", {"username": username, "password": password}, format="json", **headers)


def test_login_attempts_are_throttled(world: World, monkeypatch: Any) -> None:
    from django.core.cache import caches
    from rest_framework.throttling import ScopedRateThrottle

    caches["shared"].clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "2/min"})
    client = APIClient()
    codes = [_login(client).status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    caches["shared"].clear()


def test_the_login_throttle_ignores_a_spoofed_forwarded_for(world: World, monkeypatch: Any) -> None:
    from django.core.cache import caches
    from rest_framework.throttling import ScopedRateThrottle

    caches["shared"].clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "3/min"})
    client = APIClient()
    codes = [_login(client, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    caches["shared"].clear()


def test_forwarded_for_counts_only_through_a_trusted_proxy(world: World, monkeypatch: Any) -> None:
    from django.core.cache import caches
    from rest_framework.throttling import ScopedRateThrottle

    from fleetgate.api import throttling
    from fleetgate.core import clientip

    caches["shared"].clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "1/min"})
    monkeypatch.setattr(throttling, "TRUSTED_PROXIES", clientip.networks(["10.0.0.0/8"]))
    proxy = {"REMOTE_ADDR": "10.0.0.5"}
    client = APIClient()
    assert _login(client, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy).status_code == 401
    assert _login(client, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy).status_code == 401  # another client
    assert _login(client, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1", **proxy).status_code == 429  # spoofed hop
    # the count lives in the database cache every worker shares, not in one process's memory
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM fleetgate_cache")
        assert cursor.fetchone()[0] >= 2
    caches["shared"].clear()


def test_client_address_rules() -> None:
    from fleetgate.core.clientip import client_ip, networks

    trusted = networks(["10.0.0.0/8", "fd00::/8"])
    assert client_ip({"REMOTE_ADDR": "192.0.2.7", "HTTP_X_FORWARDED_FOR": "1.1.1.1"}, trusted) == "192.0.2.7"
    assert client_ip({"REMOTE_ADDR": "10.1.1.1", "HTTP_X_FORWARDED_FOR": "1.1.1.1, 10.2.2.2"}, trusted) == "1.1.1.1"
    assert client_ip({"REMOTE_ADDR": "10.1.1.1", "HTTP_X_FORWARDED_FOR": "10.3.3.3"}, trusted) == "10.3.3.3"
    assert client_ip({"REMOTE_ADDR": "10.1.1.1"}, trusted) == "10.1.1.1"
    assert client_ip({"REMOTE_ADDR": "10.1.1.1", "HTTP_X_FORWARDED_FOR": "1.1.1.1"}, ()) == "10.1.1.1"


def test_a_locked_account_is_a_clear_problem(world: World) -> None:
    from django.core.cache import caches

    from fleetgate.identity.services import signin

    caches["shared"].clear()
    username = world.users[Role.PUBLISHER].username
    for _ in range(signin.LOCK_AFTER - 1):
        assert _login(APIClient(), username, "guess", REMOTE_ADDR="192.0.2.1").status_code == 401
    locked = _login(APIClient(), username, "guess", REMOTE_ADDR="192.0.2.2")
    assert (locked.status_code, locked["Content-Type"], locked.json()["code"]) == (
        423,
        "application/problem+json",
        "account-locked",
    )
    assert locked.json()["retry_after"] == 900
    assert _login(APIClient(), username, PASSWORD, REMOTE_ADDR="192.0.2.3").status_code == 423
    caches["shared"].clear()


def test_allowed_actions_follow_the_requesting_user(world: World) -> None:
    from tests.api.base import client_for
    from tests.factories import make_user

    intent = world.intent()
    url = f"/api/v1/intents/{intent.pk}/"
    assert client_for(world.users[Role.PUBLISHER]).get(url).json()["allowed_actions"] == ["update", "submit", "cancel"]
    assert client_for(world.users[Role.AUDITOR]).get(url).json()["allowed_actions"] == []
    outsider = make_user(Role.PUBLISHER, business_units=["hr"])
    assert client_for(outsider).get(url).status_code == 404  # out of scope: not even its existence
    listed = client_for(world.users[Role.PUBLISHER]).get("/api/v1/intents/").json()["results"]
    assert listed[0]["allowed_actions"] == ["update", "submit", "cancel"]
    history = client_for(world.users[Role.AUDITOR]).get(f"{url}history/").json()
    assert [e["action"] for e in history] == ["intent.created"]
