"""The mapping over HTTP (every role's access, the exact ledger row), the session that re-evaluates at its
next request when the mapping moved, and password sign-in switched off but for the break-glass account."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from fleetgate.audit.models import LedgerEvent
from fleetgate.core.roles import Role
from fleetgate.sso.models import ClaimKind, GroupMapping
from tests.api.base import Endpoint, ResourceAccessTests, client_for
from tests.api.sso.conftest import Configure
from tests.api.sso.fake_idp import FakeIdp
from tests.factories import PASSWORD, World, make_user

R = Role
MAPPINGS = "/api/v1/sso/mappings/"


def _mapping(world: World) -> int:
    return world.once(
        "mapping", lambda: GroupMapping.objects.create(kind=ClaimKind.GROUP, value="g-ops", role="endpoint_ops").pk
    )


class TestMappingAccess(ResourceAccessTests):
    endpoints = [
        Endpoint("GET", lambda w: MAPPINGS, frozenset({R.PLATFORM_ADMIN, R.AUDITOR}), label="list"),
        Endpoint(
            "POST",
            lambda w: MAPPINGS,
            frozenset({R.PLATFORM_ADMIN}),
            status=201,
            body=lambda w: {"value": "g-pub", "role": "publisher", "boundary": "acme", "business_units": ["sales"]},
            ledger_action="sso.mapping.created",
            label="create",
        ),
        Endpoint(
            "PATCH",
            lambda w: f"{MAPPINGS}{_mapping(w)}/",
            frozenset({R.PLATFORM_ADMIN}),
            body=lambda w: {"business_units": ["hr"]},
            ledger_action="sso.mapping.updated",
            label="update",
        ),
        Endpoint(
            "DELETE",
            lambda w: f"{MAPPINGS}{_mapping(w)}/",
            frozenset({R.PLATFORM_ADMIN}),
            status=204,
            ledger_action="sso.mapping.deleted",
            label="delete",
        ),
    ]


def test_list_and_create(world: World) -> None:
    admin = client_for(world.users[R.PLATFORM_ADMIN])
    assert admin.get(MAPPINGS).json() == []
    created = admin.post(MAPPINGS, {"value": "g-pub", "role": "publisher"}, format="json").json()
    assert created["business_units"] == ["*"]
    assert created["kind"] == "group"
    assert [r["value"] for r in admin.get(MAPPINGS).json()] == ["g-pub"]
    assert admin.get(f"{MAPPINGS}{created['id']}/").json()["role"] == "publisher"


def test_a_dual_control_role_is_refused_as_a_problem(world: World) -> None:
    response = client_for(world.users[R.PLATFORM_ADMIN]).post(
        MAPPINGS, {"value": "g-cab", "role": "cab_approver"}, format="json"
    )
    assert (response.status_code, response.json()["code"], response.json()["rule"]) == (
        403,
        "separation-of-duties",
        "dual-control",
    )


@pytest.mark.django_db
def test_the_next_request_sees_a_mapping_change(client: Client, entra: FakeIdp) -> None:
    row = GroupMapping.objects.create(kind=ClaimKind.GROUP, value="g-pub", role="publisher", boundary="acme")
    code, state = entra.authorize(client.get("/api/v1/auth/sso/login/")["Location"], groups=["g-pub"])
    client.get("/api/v1/auth/sso/callback/", {"code": code, "state": state})
    assert [g["role"] for g in client.get("/api/v1/me/").json()["roles"]] == ["publisher"]
    admin = client_for(make_user(R.PLATFORM_ADMIN))
    assert admin.delete(f"{MAPPINGS}{row.pk}/").status_code == 204
    assert client.get("/api/v1/me/").json()["roles"] == []  # the very next request
    last = LedgerEvent.objects.order_by("-sequence").first()
    assert last is not None
    assert (last.action, last.actor_name) == ("user.roles_changed", "sso")


def _login(client: Client, username: str) -> Any:
    client.get("/api/v1/auth/session/")
    return client.post(
        "/api/v1/auth/login/",
        {"username": username, "password": PASSWORD},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )


@pytest.mark.django_db
def test_local_login_off_leaves_only_the_break_glass_account(configure: Configure) -> None:
    configure(local_login=False, break_glass_username="breakglass")
    person = make_user(R.PUBLISHER)
    make_user(R.PLATFORM_ADMIN, username="breakglass")
    refused = _login(Client(enforce_csrf_checks=True), person.username)
    assert (refused.status_code, refused.json()["code"]) == (403, "local-login-disabled")
    assert "single sign-on" in refused.json()["detail"]
    ok = _login(Client(enforce_csrf_checks=True), "breakglass")
    assert ok.status_code == 200, ok.content
    last = LedgerEvent.objects.order_by("-sequence").first()
    assert last is not None
    assert (last.action, last.severity) == ("user.break_glass_signed_in", "critical")
    assert Client().get("/api/v1/auth/sso/").json()["local_login"] is False
