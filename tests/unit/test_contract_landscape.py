"""Contract: the published Landscape client (`landscape-api-py3`, the legacy API's Python 3 client)
against the Landscape simulator, side by side with Fleetgate's connector. Every action the
connector sends must be one the client's schema knows, with parameters it can encode, signed the
way the client signs (form-encoded POST, HMAC-SHA256 v2 over "POST")."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from landscape_api.base import API, InvalidCredentialsError, SignatureDoesNotMatchError, load_schema

from fleetgate.connectors.base import Connector, IntentRef
from fleetsim.landscape import signature
from fleetsim.server import Running
from tests.fixtures.connectors.support import CANARY, INTENT, artifact, connector_for, serving

VERSION = "2011-08-01"
SIGNED = {"action", "version", "access_key_id", "signature_method", "signature_version", "timestamp", "signature"}
SCHEMA: dict[str, Any] = json.loads((Path(load_schema.__code__.co_filename).parent / "schemas.json").read_text())


def client(srv: Running, secret: str | None = None) -> API:
    creds = srv.app.credentials
    return API(f"{srv.url}/api/", creds.client_id, secret or creds.client_secret)


def recording(connector: Connector) -> list[dict[str, str]]:
    """The form body of every call the connector sends."""
    sent: list[dict[str, str]] = []
    send = connector.request

    def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
        assert method == "POST", f"Landscape takes POSTs; the connector sent {method} {url}"
        sent.append(dict(kwargs["data"]))
        return send(method, url, **kwargs)

    connector.request = request  # type: ignore[method-assign]
    return sent


def known_to_the_client(call: dict[str, str]) -> None:
    action = call["action"]
    assert VERSION in SCHEMA.get(action, {}), f"{action} is not an action of the {VERSION} API"
    allowed = {p["name"] for p in SCHEMA[action][VERSION]["parameters"]}
    params = {k.split(".")[0] for k in call} - SIGNED
    assert params <= allowed, f"{action}: {sorted(params - allowed)} unknown to the client"


def test_the_client_reads_what_the_connector_did(tmp_path: Path) -> None:
    with serving("landscape") as srv:
        connector = connector_for(srv.app)
        app = connector.publish(artifact(tmp_path), "k")
        assigned = connector.assign(app, CANARY, INTENT, "a")
        api = client(srv)
        computers = api.get_computers(query="tag:FG-CANARY", limit=1000)
        assert len(computers) == 30
        activities = api.get_activities(query=f"id:{assigned.external_id}")
        assert [a["id"] for a in activities] == [int(assigned.external_id)]
        assert activities[0]["summary"] == "Install package firefox-esr"
        assert set(activities[0]) == {
            "id",
            "type",
            "summary",
            "creation_time",
            "parent_id",
            "computer_id",
            "activity_status",
        }  # no simulator-internal field leaks
        children = api.get_activities(query=f"parent-id:{assigned.external_id}", limit=1000)
        assert len(children) == 30
        # The client's own InstallPackages lands the same way the connector's does.
        created = api.install_packages(query="tag:FG-CANARY", packages=["firefox-esr"])
        assert created["summary"] == "Install package firefox-esr"


def test_every_assign_and_read_the_connector_sends_is_in_the_client_schema(tmp_path: Path) -> None:
    with serving("landscape") as srv:
        connector = connector_for(srv.app)
        app = connector.publish(artifact(tmp_path), "k")
        sent = recording(connector)
        connector.check()
        connector.assign(app, CANARY, INTENT, "a")
        connector.find_assignment(app, CANARY, INTENT, "a")
        srv.app.advance(86400)
        connector.observe(app, CANARY)
        connector.inventory(CANARY)
        connector.group_size(CANARY)
        connector.retire(app, CANARY, "r")
        assert {c["action"] for c in sent} >= {"GetComputers", "InstallPackages", "GetActivities", "RemovePackages"}
        for call in sent:
            known_to_the_client(call)


@pytest.mark.xfail(
    strict=True,
    reason="publish calls AddPackagesToPocket, which the legacy API does not have; Landscape takes "
    "packages into an upload pocket by a signed dput upload, not yet implemented (issue 11)",
)
def test_publish_uses_an_action_of_the_client_schema(tmp_path: Path) -> None:
    with serving("landscape") as srv:
        connector = connector_for(srv.app)
        sent = recording(connector)
        connector.publish(artifact(tmp_path), "k")
        for call in sent:
            known_to_the_client(call)


def test_a_wrong_secret_is_refused_as_the_client_knows_it() -> None:
    with serving("landscape") as srv, pytest.raises(SignatureDoesNotMatchError):
        client(srv, secret="not-the-secret").get_computers()


@pytest.mark.parametrize("signed_as", ["POST", "GET"])
def test_a_get_is_refused_however_it_was_signed(signed_as: str) -> None:
    with serving("landscape") as srv:
        creds, host = srv.app.credentials, srv.url.removeprefix("http://")
        params = {
            "action": "GetComputers",
            "version": VERSION,
            "access_key_id": creds.client_id,
            "signature_method": "HmacSHA256",
            "signature_version": "2",
            "timestamp": "2026-12-02T06:00:00Z",
        }
        params["signature"] = signature(creds.client_secret, signed_as, host, "/api/", params)
        response = httpx.get(f"{srv.url}/api/", params=params)
        assert response.status_code == 405
        assert set(response.json()) == {"error", "message"}
        unsigned = {k: v for k, v in params.items() if k != "signature"}
        refused = httpx.post(f"{srv.url}/api/", data=unsigned)
        assert refused.status_code == 401
        assert refused.json()["error"] == "SignatureDoesNotMatch"


def test_the_connector_signs_post_form_bodies(tmp_path: Path) -> None:
    with serving("landscape") as srv:
        connector = connector_for(srv.app)
        connector.check()
        method, path = srv.app.requests[-1]
        assert (method, path) == ("POST", "/api/ [action=GetComputers]")  # nothing in the query string
        with pytest.raises(InvalidCredentialsError):
            API(f"{srv.url}/api/", "unknown-key", "x").get_computers()


def test_observe_reads_the_activity_its_assign_created_not_an_older_one(tmp_path: Path) -> None:
    """An older operation on the same package and tag (a finished install) must not stand in for the
    new one, also while Landscape's listing has not caught up with the new activity yet."""
    with serving("landscape") as srv:
        connector = connector_for(srv.app)
        app = connector.publish(artifact(tmp_path), "k")
        connector.assign(app, CANARY, INTENT, "older")
        srv.app.advance(86400)  # the older operation has finished on most computers
        srv.app.faults.add("eventual", times=1, reads=5)  # the next activity lags in listings
        new = connector.assign(app, CANARY, INTENT, "newer")
        observed = connector.observe(app, replace(CANARY, assignment_id=new.external_id))
        assert (observed.installed, observed.pending, observed.action) == (0, 30, "install")


def test_observe_follows_its_install_after_a_later_remove_on_the_tag(tmp_path: Path) -> None:
    with serving("landscape") as srv:
        connector = connector_for(srv.app)
        app = connector.publish(artifact(tmp_path), "k")
        installed = connector.assign(app, CANARY, INTENT, "a")
        srv.app.advance(86400)
        removed = connector.retire(app, CANARY, "r")  # a newer operation on the same package and tag
        srv.app.advance(86400)
        tracked = connector.observe(app, replace(CANARY, assignment_id=installed.external_id))
        assert tracked.action == "install"
        assert tracked.installed > 0
        assert tracked.not_installed == 0
        rollback = connector.observe(app, replace(CANARY, assignment_id=removed.external_id))
        assert rollback.action == "uninstall"
        assert rollback.not_installed > 0
        assert rollback.installed == 0


def test_a_crashed_assign_is_found_again_by_its_childrens_changes(tmp_path: Path) -> None:
    with serving("landscape") as srv:
        connector = connector_for(srv.app)
        app = connector.publish(artifact(tmp_path), "k")
        assigned = connector.assign(app, CANARY, INTENT, "a")
        found = connector.find_assignment(app, CANARY, INTENT, "a")
        assert found is not None
        assert found.external_id == assigned.external_id
        uninstall = IntentRef(INTENT.intent_id, INTENT.name, INTENT.ring, "uninstall")
        assert connector.find_assignment(app, CANARY, uninstall, "u") is None  # an install is no removal


def test_get_activities_answers_by_id_type_and_parent_and_keeps_older_ones(tmp_path: Path) -> None:
    with serving("landscape") as srv:
        connector = connector_for(srv.app)
        app = connector.publish(artifact(tmp_path), "k")
        first = int(connector.assign(app, CANARY, INTENT, "a").external_id)
        second = int(connector.retire(app, CANARY, "r").external_id)
        api = client(srv)
        assert [a["id"] for a in api.get_activities(query="type:ActivityGroup")] == [second, first]
        assert [a["id"] for a in api.get_activities(query=f"id:{first} type:ActivityGroup")] == [first]
        assert api.get_activities(query=f"id:{first} type:ChangePackagesRequest") == []
        children = api.get_activities(query=f"parent-id:{second}", limit=1000)
        assert len(children) == 30
        assert {(c["type"], c["parent_id"]) for c in children} == {("ChangePackagesRequest", second)}
        assert {c["changes"][0]["type"] for c in children} == {"remove"}


def test_the_engine_hands_the_activity_ids_it_stored_back_to_observe() -> None:
    """The ring's install activity (PlaneTarget.assignment_id), or the rollback's (stored with
    rollback_app_ref), reaches the connector as RingGroup.assignment_id."""
    from fleetgate.intents.models import DeploymentIntent
    from fleetgate.rollouts.models import PlaneTarget, RingRun, Rollout
    from fleetgate.rollouts.services.common import ring_group

    intent = DeploymentIntent(
        target_site_classes=["online"], ring_plan=[{"ring": "canary", "target_group": "FG-CANARY"}]
    )
    run = RingRun(rollout=Rollout(intent=intent), ring="canary", position=0)
    target = PlaneTarget(group="FG-CANARY", assignment_id="41")
    assert ring_group(target, run).assignment_id == "41"
    assert ring_group(target, run, "57").assignment_id == "57"
