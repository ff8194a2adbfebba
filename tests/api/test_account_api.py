"""My account over HTTP: every role manages its own tokens, password and time zone; bad input is a
problem on the field; a password change signs the other sessions out and keeps this one."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from fleetgate.core.roles import Role
from fleetgate.identity.models import ApiToken
from tests.api.base import ALL_ROLES, Endpoint, ResourceAccessTests, client_for
from tests.factories import PASSWORD, World, make_token

R = Role
NEW = "a-much-longer-passphrase-7"


class TestAccountAccess(ResourceAccessTests):
    endpoints = [
        Endpoint("GET", lambda w: "/api/v1/me/", ALL_ROLES, label="me"),
        Endpoint("GET", lambda w: "/api/v1/me/preferences/", ALL_ROLES, label="read-preferences"),
        Endpoint(
            "PUT",
            lambda w: "/api/v1/me/preferences/",
            ALL_ROLES,
            body=lambda w: {"time_zone": "America/Sao_Paulo"},
            ledger_action="user.preferences_changed",
            label="set-time-zone",
        ),
        Endpoint(
            "POST",
            lambda w: "/api/v1/me/password/",
            ALL_ROLES,
            body=lambda w: {"current_password": PASSWORD, "new_password": NEW},
            ledger_action="user.password_changed",
            label="change-password",
        ),
        Endpoint("GET", lambda w: "/api/v1/tokens/?mine=true", ALL_ROLES, label="my-tokens"),
        Endpoint(
            "POST",
            lambda w: "/api/v1/tokens/",
            ALL_ROLES,
            201,
            body=lambda w: {"name": "laptop", "days": 30},
            ledger_action="token.created",
            label="create-own-token",
        ),
    ]


def _problem(response: Any, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def _fields(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["field"], e["rule"]) for e in body["errors"]]


def test_time_zone_is_on_me_and_an_invalid_zone_is_a_problem_on_the_field(world: World) -> None:
    client = client_for(world.users[R.ENDPOINT_OPS])
    assert client.get("/api/v1/me/").json()["time_zone"] == "UTC"
    body = _problem(client.put("/api/v1/me/preferences/", {"time_zone": "Mars/Olympus"}, format="json"))
    assert _fields(body) == [("time_zone", "iana-zone")]
    assert _fields(_problem(client.put("/api/v1/me/preferences/", {"time_zone": 5}, format="json"))) == [
        ("time_zone", "type")
    ]
    assert client.put("/api/v1/me/preferences/", {"time_zone": "Asia/Tokyo"}, format="json").json() == {
        "time_zone": "Asia/Tokyo"
    }
    assert client.get("/api/v1/me/").json()["time_zone"] == "Asia/Tokyo"
    assert client.get("/api/v1/auth/session/").json()["user"]["time_zone"] == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"current_password": PASSWORD, "new_password": "short"}, [("new_password", "strength")]),
        ({"current_password": "not-my-password", "new_password": NEW}, [("current_password", "wrong-password")]),
        ({"current_password": PASSWORD}, [("new_password", "required")]),
        ({"current_password": PASSWORD, "new_password": NEW, "extra": 1}, [("extra", "unknown-field")]),
    ],
)
def test_a_weak_or_wrong_password_is_a_problem_on_the_field(
    world: World, body: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    client = client_for(world.users[R.AUDITOR])
    assert _fields(_problem(client.post("/api/v1/me/password/", body, format="json"))) == expected


def _signed_in(username: str, password: str) -> APIClient:
    client = APIClient(enforce_csrf_checks=False)
    response = client.post("/api/v1/auth/login/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return client


def test_password_change_keeps_this_session_and_signs_the_others_out(world: World) -> None:
    user = world.users[R.SECURITY_REVIEWER]
    this, other = _signed_in(user.username, PASSWORD), _signed_in(user.username, PASSWORD)
    token = make_token(user)
    done = this.post("/api/v1/me/password/", {"current_password": PASSWORD, "new_password": NEW}, format="json")
    assert done.json() == {"other_sessions_signed_out": True, "tokens_revoked": 0}
    assert this.get("/api/v1/me/").status_code == 200
    assert other.get("/api/v1/me/").status_code in (401, 403)
    assert client_for(None).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    again = this.post(
        "/api/v1/me/password/",
        {"current_password": NEW, "new_password": NEW + "-2", "revoke_tokens": True},
        format="json",
    )
    assert again.json()["tokens_revoked"] == 1
    assert client_for(None).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_my_tokens_lists_only_mine_even_for_oversight_and_revoke_is_own(world: World) -> None:
    auditor, publisher = world.users[R.AUDITOR], world.users[R.PUBLISHER]
    make_token(publisher)
    client = client_for(auditor)  # the client's own token is the auditor's only token
    mine = client.get("/api/v1/tokens/?mine=true").json()
    assert {t["username"] for t in mine} == {auditor.username}
    assert len(client.get("/api/v1/tokens/").json()) > len(mine)  # the Auditor reads everyone's metadata
    assert _problem(client.get("/api/v1/tokens/?mine=maybe"))["code"] == "validation-error"
    created = client.post("/api/v1/tokens/", {"name": "laptop"}, format="json").json()
    assert created["token"].startswith("fg_")
    assert "token" not in client.get("/api/v1/tokens/?mine=true").json()[0]
    revoked = client.post(f"/api/v1/tokens/{created['id']}/revoke/", {}, format="json")
    assert revoked.status_code == 200
    assert revoked.json()["is_active"] is False
    theirs = ApiToken.objects.filter(user=publisher).first()
    assert theirs is not None
    assert _problem(client.post(f"/api/v1/tokens/{theirs.pk}/revoke/", {}, format="json"), 403)["code"] == "forbidden"
