"""/api/v1/connectors/{id}/groups/ and /connectors/group-sources/: each plane's groups listed from its
simulator over real HTTP, who may ask, and an unreachable or refusing plane as a problem (not a 500)."""

from __future__ import annotations

from typing import Any

import pytest

from fleetgate.connectors import services
from fleetgate.connectors.base import Runtime
from fleetgate.connectors.models import ConnectorInstance
from fleetgate.core.roles import Role
from fleetsim.fleet import GroupSpec
from fleetsim.planes import connection
from tests.api.base import Endpoint, ResourceAccessTests, client_for
from tests.factories import World, make_connector
from tests.fixtures.connectors.support import FakeClock, Sleeps, serving

R = Role
PICKERS = frozenset({R.PUBLISHER, R.PLATFORM_ADMIN, R.ENDPOINT_OPS})
GROUPS = (
    GroupSpec("FG-LAB", 8),
    GroupSpec("FG-CANARY", 30),
    GroupSpec("Finance-Pilot", 12),
    GroupSpec("finance-wide", 40),
)


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "runtime_factory", lambda: Runtime(sleep=Sleeps(), clock=FakeClock()))


def _down(world: World) -> Any:
    """A connector whose plane cannot be reached (nothing listens on port 9)."""
    return world.once("connector", lambda: make_connector(world.actors[R.PLATFORM_ADMIN]))


class TestGroupsAccess(ResourceAccessTests):
    endpoints = [
        Endpoint("GET", lambda w: (_down(w), "/api/v1/connectors/group-sources/")[1], PICKERS, label="group-sources"),
        # the plane is unreachable: whoever may ask gets the problem (503), everybody else 403
        Endpoint("GET", lambda w: f"/api/v1/connectors/{_down(w).pk}/groups/?q=FG", PICKERS, 503, label="groups"),
    ]


def _listed(world: World, plane: str, query: str) -> dict[str, Any]:
    client = client_for(world.users[R.PUBLISHER])
    with serving(plane, groups=GROUPS) as srv:
        instance = services.create(
            actor=world.actors[R.PLATFORM_ADMIN], data={**connection(srv.app), "name": f"{plane}-sim"}
        )
        response = client.get(f"/api/v1/connectors/{instance.pk}/groups/", {"q": query})
    assert response.status_code == 200, response.content[:500]
    return dict(response.json())


# What each plane's search matches: Graph's startswith (any case), the others part of the name.
EXPECTED = {
    "intune": ("fin", ["Finance-Pilot", "finance-wide"]),
    "jamf": ("CAN", ["FG-CANARY"]),
    "sccm": ("pilot", ["Finance-Pilot"]),
    "landscape": ("fg-", ["FG-CANARY", "FG-LAB"]),
    "ansible": ("finance", ["Finance-Pilot", "finance-wide"]),
}
SIZES = {"sccm": {"Finance-Pilot": 12}, "landscape": {"FG-CANARY": 30, "FG-LAB": 8}}


@pytest.mark.django_db
@pytest.mark.parametrize("plane", list(EXPECTED))
def test_each_plane_lists_its_groups_matching_the_search(world: World, plane: str) -> None:
    query, names = EXPECTED[plane]
    body = _listed(world, plane, query)
    assert [g["name"] for g in body["groups"]] == names
    assert all(g["value"] == g["name"] and g["id"] for g in body["groups"])
    assert (body["connector"]["kind"], body["query"], body["limit"], body["truncated"]) == (plane, query, 50, False)
    sizes = {g["name"]: g["member_count"] for g in body["groups"]}
    assert sizes == SIZES.get(plane, dict.fromkeys(names))


@pytest.mark.django_db
@pytest.mark.parametrize("plane", list(EXPECTED))
def test_an_empty_search_lists_every_group_by_name(world: World, plane: str) -> None:
    names = [g["name"] for g in _listed(world, plane, "")["groups"]]
    assert {"FG-CANARY", "FG-LAB", "Finance-Pilot", "finance-wide"} <= set(names)
    assert names == sorted(names, key=str.lower)


@pytest.mark.django_db
def test_an_unreachable_plane_is_a_problem_saying_what_to_do_and_counts_for_the_breaker(world: World) -> None:
    connector = make_connector(world.actors[R.PLATFORM_ADMIN])
    response = client_for(world.users[R.PUBLISHER]).get(f"/api/v1/connectors/{connector.pk}/groups/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "plane-unavailable"
    assert "Try again in a minute" in problem["detail"]
    assert "type the group's name" in problem["detail"]
    assert ConnectorInstance.objects.get(pk=connector.pk).circuit_failures == 1


@pytest.mark.django_db
def test_a_plane_that_refuses_is_a_502_problem(world: World) -> None:
    with serving("jamf", groups=GROUPS) as srv:
        data = {**connection(srv.app), "name": "jamf-wrong-secret", "secrets": {"client_secret": "wrong"}}
        instance = services.create(actor=world.actors[R.PLATFORM_ADMIN], data=data)
        response = client_for(world.users[R.PUBLISHER]).get(f"/api/v1/connectors/{instance.pk}/groups/")
    assert response.status_code == 502, response.content[:500]
    assert response.json()["code"] == "plane-rejected"
    assert "Platform Admin" in response.json()["detail"]


@pytest.mark.django_db
def test_bad_search_disabled_and_unknown_connectors_are_problems(world: World) -> None:
    client = client_for(world.users[R.PUBLISHER])
    connector = make_connector(world.actors[R.PLATFORM_ADMIN])
    long = client.get(f"/api/v1/connectors/{connector.pk}/groups/", {"q": "x" * 101})
    assert (long.status_code, long.json()["errors"][0]["field"], long.json()["errors"][0]["rule"]) == (
        400,
        "q",
        "max-length",
    )
    missing = client.get("/api/v1/connectors/00000000-0000-0000-0000-000000000000/groups/")
    assert missing.status_code == 404
    services.update(
        actor=world.actors[R.PLATFORM_ADMIN], connector_id=connector.pk, changes={"enabled": False}, expected_etag=None
    )
    disabled = client.get(f"/api/v1/connectors/{connector.pk}/groups/")
    assert disabled.status_code == 409
    assert "type the group's name" in disabled.json()["detail"]


@pytest.mark.django_db
def test_group_sources_are_the_enabled_connectors_serving_the_platforms_in_the_boundary(world: World) -> None:
    admin = world.actors[R.PLATFORM_ADMIN]
    make_connector(admin, name="jamf-acme", platforms=["macos"], boundaries=["acme"])
    make_connector(admin, name="jamf-globex", platforms=["macos"], boundaries=["globex"])
    make_connector(
        admin,
        name="sccm-all",
        kind="sccm",
        platforms=["windows"],
        settings={"username": "D\\u"},
        secrets={"password": "p"},
    )
    make_connector(admin, name="jamf-off", platforms=["macos"], enabled=False)
    client = client_for(world.users[R.PUBLISHER])
    names = lambda **q: [c["name"] for c in client.get("/api/v1/connectors/group-sources/", q).json()]  # noqa: E731
    assert names(platform=["macos", "windows"], boundary="acme") == ["jamf-acme", "sccm-all"]
    assert names(platform=["windows"], boundary="acme") == ["sccm-all"]
    assert names() == ["jamf-acme", "jamf-globex", "sccm-all"]
    first = client.get("/api/v1/connectors/group-sources/", {"platform": "windows"}).json()[0]
    assert (first["plane"], first["group_word"]) == ("Configuration Manager (AdminService)", "device collections")
