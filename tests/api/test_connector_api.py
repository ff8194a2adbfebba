"""/api/v1/connectors/: every role against every endpoint (with the exact ledger row), write-only
secrets, problems for bad input, and the CLI's `fleetgate connector list|check` over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient
from typer.testing import CliRunner

from fleetgate.cli.main import app as cli
from fleetgate.connectors import services
from fleetgate.connectors.base import Runtime
from fleetgate.core.roles import Role
from fleetsim.planes import connection
from tests.api.base import Endpoint, ResourceAccessTests, client_for
from tests.factories import World, make_connector, make_token
from tests.fixtures.connectors.support import FakeClock, Sleeps, serving

R = Role
VIEW = frozenset({R.PLATFORM_ADMIN, R.ENDPOINT_OPS, R.AUDITOR, R.SECURITY_REVIEWER})
ADMIN = frozenset({R.PLATFORM_ADMIN})


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "runtime_factory", lambda: Runtime(sleep=Sleeps(), clock=FakeClock()))


def _c(world: World) -> Any:
    """One connector per world, made by its Platform Admin."""
    return world.once("connector", lambda: make_connector(world.actors[R.PLATFORM_ADMIN]))


class TestConnectorAccess(ResourceAccessTests):
    endpoints = [
        Endpoint("GET", lambda w: (_c(w), "/api/v1/connectors/")[1], VIEW, label="list-connectors"),
        Endpoint("GET", lambda w: f"/api/v1/connectors/{_c(w).pk}/", VIEW, label="get-connector"),
        Endpoint(
            "POST",
            lambda w: "/api/v1/connectors/",
            ADMIN,
            201,
            label="create-connector",
            body=lambda w: {
                "name": "ansible-prod",
                "kind": "ansible",
                "base_url": "https://awx.example",
                "secrets": {"token": "t0ken"},
            },
            ledger_action="connector.created",
        ),
        Endpoint(
            "PATCH",
            lambda w: f"/api/v1/connectors/{_c(w).pk}/",
            ADMIN,
            label="update-connector",
            body=lambda w: {"dry_run": True},
            headers=lambda w: {"If-Match": _c(w).etag},
            ledger_action="connector.updated",
        ),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/connectors/{_c(w).pk}/check/",
            frozenset({R.PLATFORM_ADMIN, R.ENDPOINT_OPS}),
            label="check-connector",
            body=lambda w: {},
            ledger_action="connector.checked",
        ),
        Endpoint("GET", lambda w: f"/api/v1/connectors/{_c(w).pk}/operations/", VIEW, label="connector-operations"),
    ]


def admin_client(world: World) -> APIClient:
    return client_for(world.users[R.PLATFORM_ADMIN])


@pytest.mark.django_db
def test_secrets_are_write_only(world: World) -> None:
    client = admin_client(world)
    created = client.post(
        "/api/v1/connectors/",
        {
            "name": "j",
            "kind": "jamf",
            "base_url": "https://jamf.example",
            "settings": {"client_id": "c"},
            "secrets": {"client_secret": "hush"},
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    for body in (
        created.json(),
        client.get(f"/api/v1/connectors/{created.json()['id']}/").json(),
        client.get("/api/v1/connectors/").json()[0],
    ):
        assert "hush" not in str(body)
        assert "secrets" not in body
        assert body["secret_names"] == ["client_secret"]
        assert body["circuit"] == {"state": "closed", "consecutive_failures": 0, "opened_at": None}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"name": "x", "kind": "bigfix", "base_url": "https://x.example"}, "kind", "choice"),
        ({"name": "x", "kind": "jamf", "base_url": "not a url"}, "base_url", "invalid"),
        (
            {"name": "x", "kind": "jamf", "base_url": "https://x.example", "settings": {"client_id": "c"}},
            "secrets.client_secret",
            "required",
        ),
        ({"name": "x", "kind": "jamf", "base_url": "https://x", "colour": "red"}, "colour", "unknown-field"),
        (
            {"name": "x", "kind": "sccm", "base_url": "https://x.example", "secrets": {"password": "p"}},
            "settings.username",
            "required",
        ),
    ],
)
def test_bad_input_is_a_problem_naming_field_and_rule(
    world: World, body: dict[str, Any], field: str, rule: str
) -> None:
    response = admin_client(world).post("/api/v1/connectors/", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert {"field": field, "rule": rule} in [{k: e[k] for k in ("field", "rule")} for e in response.json()["errors"]]


@pytest.mark.django_db
def test_update_needs_if_match_and_unknown_ids_are_404(world: World) -> None:
    client = admin_client(world)
    connector = make_connector(world.actors[R.PLATFORM_ADMIN])
    assert client.patch(f"/api/v1/connectors/{connector.pk}/", {"dry_run": True}, format="json").status_code == 428
    stale = client.patch(f"/api/v1/connectors/{connector.pk}/", {"dry_run": True}, format="json", HTTP_IF_MATCH='"x"')
    assert stale.status_code == 412
    assert client.get("/api/v1/connectors/not-an-id/").json()["code"] == "not-found"
    assert (
        client.post("/api/v1/connectors/00000000-0000-0000-0000-000000000000/check/", {}, format="json").status_code
        == 404
    )
    bad = client.post(f"/api/v1/connectors/{connector.pk}/check/", {"exercise": "maybe"}, format="json")
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (400, "exercise")


@pytest.mark.django_db
def test_dry_run_check_over_the_api_shows_the_requests(world: World) -> None:
    with serving("intune") as srv:
        data = {**connection(srv.app), "name": "intune-dry", "dry_run": True}
        client = admin_client(world)
        created = client.post("/api/v1/connectors/", data, format="json").json()
        result = client.post(f"/api/v1/connectors/{created['id']}/check/", {"exercise": True}, format="json").json()
        assert (result["health"], result["dry_run"]) == ("healthy", True)
        would = [r for r in result["requests"] if not r["sent"]]
        assert [r["method"] for r in would][:3] == ["POST", "POST", "POST"]
        assert would[0]["url"].endswith("/v1.0/deviceAppManagement/mobileApps")
        assert '"@odata.type": "#microsoft.graph.win32LobApp"' in would[0]["body"]
        assert all(r["headers"].get("Authorization") in (None, "***") for r in result["requests"])


@pytest.mark.django_db(transaction=True)
def test_cli_connector_list_and_check(live_server: Any) -> None:
    world = World.build()
    token = make_token(world.users[R.PLATFORM_ADMIN])
    runner = CliRunner()
    opts = ["--server", live_server.url, "--token", token]
    with serving("jamf") as srv:
        services.create(actor=world.actors[R.PLATFORM_ADMIN], data={**connection(srv.app), "name": "jamf-sim"})
        make_connector(
            world.actors[R.PLATFORM_ADMIN],
            name="jamf-dry",
            dry_run=True,
            base_url=srv.url,
            settings=connection(srv.app)["settings"],
            secrets=connection(srv.app)["secrets"],
        )
        listed = runner.invoke(cli, ["connector", "list", *opts], catch_exceptions=False)
        assert listed.exit_code == 0
        assert "jamf-sim" in listed.output
        assert "jamf-dry" in listed.output
        checked = runner.invoke(cli, ["connector", "check", "jamf-sim", "--exercise", *opts], catch_exceptions=False)
        assert checked.exit_code == 0, checked.output
        assert "healthy" in checked.output
        for step in ("publish", "assign", "observe", "inventory", "retire"):
            assert step in checked.output
        dry = runner.invoke(cli, ["connector", "check", "jamf-dry", "--exercise", *opts], catch_exceptions=False)
        assert "WOULD SEND POST" in dry.output
        assert "/JSSResource/policies/id/0" in dry.output
        as_json = runner.invoke(cli, ["connector", "list", "--json", *opts], catch_exceptions=False)
        assert '"kind": "jamf"' in as_json.output
    down = make_connector(world.actors[R.PLATFORM_ADMIN], name="nowhere")
    failed = runner.invoke(cli, ["connector", "check", str(down.pk), *opts], catch_exceptions=False)
    assert failed.exit_code == 1
    assert "down" in failed.output
