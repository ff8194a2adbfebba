"""Dual-control role grants over HTTP: the refusal names the role-grant-request resource (and the request
already pending), and the requester of a grant is refused its approval as a problem."""

from __future__ import annotations

from typing import Any

from fleetgate.core.roles import Role
from tests.api.base import client_for
from tests.factories import World, make_user

R = Role
GRANTS = "/api/v1/role-grant-requests/"
CAB = {"role": "cab_approver", "boundary": "acme", "business_units": ["*"]}


def _refused(response: Any) -> dict[str, Any]:
    assert response.status_code == 403, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert (body["code"], body["rule"], body["attempted"]) == (
        "separation-of-duties",
        "dual-control",
        "user.grant_role",
    )
    return body


def test_the_refusal_names_the_request_resource_then_the_pending_request(world: World) -> None:
    admin = client_for(world.users[R.PLATFORM_ADMIN])
    target = world.users[R.AUDITOR]
    roles = f"/api/v1/users/{target.pk}/roles/"
    first = _refused(admin.put(roles, {"roles": [{**CAB}]}, format="json"))
    assert (first["resource"], first["pending_requests"], first["user"]) == (GRANTS, [], target.pk)
    assert f"POST {GRANTS}" in first["detail"]
    assert first["roles"] == ["cab_approver"]

    filed = admin.post(GRANTS, {"user": target.pk, **CAB, "reason": "Joins the change board."}, format="json")
    assert filed.status_code == 201, filed.content
    pending = filed.json()["id"]
    again = _refused(admin.put(roles, {"roles": [{**CAB}]}, format="json"))
    assert again["pending_requests"] == [pending]
    assert f"{GRANTS}{pending}/" in again["detail"]

    own = admin.post(f"{GRANTS}{pending}/approve/", {}, format="json")
    assert own.status_code == 403
    assert (own.json()["code"], own.json()["rule"]) == ("separation-of-duties", "dual-control")
    second = client_for(make_user(R.PLATFORM_ADMIN))
    approved = second.post(f"{GRANTS}{pending}/approve/", {"reason": "Confirmed."}, format="json")
    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "approved"


def test_creating_a_user_with_a_deciding_role_names_the_resource(world: World) -> None:
    admin = client_for(world.users[R.PLATFORM_ADMIN])
    body = {"username": "newcomer", "password": "a-long-enough-password", "roles": [{**CAB}]}
    refused = _refused(admin.post("/api/v1/users/", body, format="json"))
    assert (refused["resource"], refused["pending_requests"]) == (GRANTS, [])
    assert "user" not in refused  # nobody to name yet: create the user first, then file the request
