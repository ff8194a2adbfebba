"""/api/v1/siem/destinations/: every role against every endpoint (with the exact ledger row), write-only
secrets, the status (lag = ledger head - acknowledged), If-Match, and problems for bad input."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from typer.testing import CliRunner

from fleetgate.cli.main import app as cli
from fleetgate.core.roles import Role
from fleetgate.siem import services
from fleetgate.siem.models import Destination
from tests.api.base import Endpoint, ResourceAccessTests, client_for
from tests.factories import World, make_token
from tests.fixtures.siem.receivers import Rsyslog, require_rsyslog

R = Role
VIEW = frozenset({R.PLATFORM_ADMIN, R.AUDITOR})
ADMIN = frozenset({R.PLATFORM_ADMIN})
URL = "/api/v1/siem/destinations/"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _d(world: World) -> Destination:
    return world.once(
        "siem",
        lambda: services.create(
            actor=world.actors[R.PLATFORM_ADMIN],
            data={"name": "rsyslog", "kind": "syslog-tcp", "host": "127.0.0.1", "port": _closed_port()},
        ),
    )


class TestSiemAccess(ResourceAccessTests):
    endpoints = [
        Endpoint("GET", lambda w: (_d(w), URL)[1], VIEW, label="list"),
        Endpoint("GET", lambda w: f"{URL}{_d(w).pk}/", VIEW, label="get"),
        Endpoint(
            "POST",
            lambda w: URL,
            ADMIN,
            status=201,
            ledger_action="siem_destination.created",
            label="create",
            body=lambda w: {
                "name": "splunk",
                "kind": "https-hec",
                "host": "splunk.example",
                "port": 8088,
                "secrets": {"token": "t0k3n"},
            },
        ),
        Endpoint(
            "PATCH",
            lambda w: f"{URL}{_d(w).pk}/",
            ADMIN,
            ledger_action="siem_destination.updated",
            label="update",
            body=lambda w: {"batch_size": 50},
            headers=lambda w: {"If-Match": _d(w).etag},
        ),
        Endpoint(
            "POST",
            lambda w: f"{URL}{_d(w).pk}/activation/",
            ADMIN,
            ledger_action="siem_destination.disabled",
            body=lambda w: {"enabled": False},
            label="disable",
        ),
        Endpoint(
            "POST",
            lambda w: f"{URL}{_d(w).pk}/test/",
            ADMIN,
            ledger_action="siem_destination.tested",
            label="test",
        ),
        Endpoint(
            "DELETE",
            lambda w: f"{URL}{_d(w).pk}/",
            ADMIN,
            status=204,
            ledger_action="siem_destination.deleted",
            label="delete",
        ),
    ]


@pytest.fixture
def admin(world: World) -> Any:
    return client_for(world.users[R.PLATFORM_ADMIN])


@pytest.mark.django_db
def test_status_and_write_only_secrets(world: World, admin: Any) -> None:
    created = admin.post(
        URL,
        {"name": "splunk", "kind": "https-hec", "host": "splunk.example", "port": 8088, "secrets": {"token": "t0k3n"}},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert "t0k3n" not in created.content.decode()
    assert body["secret_names"] == ["token"]
    assert (body["path"], body["format"], body["acknowledged_sequence"]) == ("/services/collector/event", "json", 0)
    assert body["lag"] == body["ledger_head"] > 0
    assert created["ETag"] == body["etag"]
    listed = client_for(world.users[R.AUDITOR]).get(URL).json()
    assert [d["name"] for d in listed] == ["splunk"]
    stale = admin.patch(f"{URL}{body['id']}/", {"port": 443}, format="json", HTTP_IF_MATCH='"0.0"')
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale-etag"
    missing = admin.patch(f"{URL}{body['id']}/", {"port": 443}, format="json")
    assert missing.status_code == 428
    bad = admin.patch(f"{URL}{body['id']}/", {"format": "cef", "nope": 1}, format="json", HTTP_IF_MATCH=body["etag"])
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"nope"}
    refused = admin.patch(f"{URL}{body['id']}/", {"format": "cef"}, format="json", HTTP_IF_MATCH=body["etag"])
    assert refused.status_code == 400
    assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [("format", "json-only")]


@pytest.mark.django_db
def test_bad_input_and_unknown_ids_are_problems(world: World, admin: Any) -> None:
    response = admin.post(URL, {"name": "x", "kind": "syslog-udp", "host": "h", "port": 0}, format="json")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"kind", "port"}
    assert admin.get(f"{URL}999/").status_code == 404
    assert admin.get(f"{URL}abc/").status_code == 404
    assert admin.post(f"{URL}999/test/").status_code == 404
    assert admin.delete(f"{URL}999/").status_code == 404


@pytest.mark.django_db
def test_send_test_reports_the_receiver_down(world: World, admin: Any) -> None:
    destination = _d(world)
    response = admin.post(f"{URL}{destination.pk}/test/")
    assert response.status_code == 200
    assert response.json()["ok"] is False
    assert "ConnectionRefused" in response.json()["detail"]


def test_cli_siem_add_list_test_pause_resume(live_server: Any, tmp_path: Any) -> None:
    require_rsyslog()
    receiver = Rsyslog(tmp_path)
    receiver.start()
    try:
        world = World.build()
        runner = CliRunner()
        opts = ["--server", live_server.url, "--token", make_token(world.users[R.PLATFORM_ADMIN])]
        add = ["siem", "add", "soc", "--kind", "syslog-tcp", "--host", "127.0.0.1", "--port", str(receiver.port)]
        added = runner.invoke(cli, [*add, "--format", "json", "--batch-size", "20", *opts], catch_exceptions=False)
        assert added.exit_code == 0, added.output
        assert "Added soc" in added.output
        tested = runner.invoke(cli, ["siem", "test", "soc", *opts], catch_exceptions=False)
        assert tested.exit_code == 0, tested.output
        assert "accepted the test event" in tested.output
        assert receiver.sequences() == [0]
        paused = runner.invoke(cli, ["siem", "pause", "soc", *opts], catch_exceptions=False)
        assert "soc: paused at sequence 0." in paused.output
        resumed = runner.invoke(cli, ["siem", "resume", "soc", *opts], catch_exceptions=False)
        assert "soc: streaming at sequence 0." in resumed.output
        listed = runner.invoke(cli, ["siem", "list", *opts], catch_exceptions=False)
        assert "soc" in listed.output
        as_json = runner.invoke(cli, ["siem", "list", "--json", *opts], catch_exceptions=False)
        assert '"kind": "syslog-tcp"' in as_json.output
        assert '"batch_size": 20' in as_json.output
        receiver.stop()
        down = runner.invoke(cli, ["siem", "test", "soc", *opts], catch_exceptions=False)
        assert down.exit_code == 1
        assert "ConnectionRefused" in down.output
        refused = runner.invoke(cli, [*add, "--format", "xml", *opts], catch_exceptions=False)
        assert refused.exit_code == 1
        assert "format" in refused.output
    finally:
        receiver.stop()
