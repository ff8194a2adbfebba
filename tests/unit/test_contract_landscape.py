"""Contract: the published Landscape client (`landscape-api-py3`, the legacy API's Python 3 client)
against the Landscape simulator, side by side with Fleetgate's connector. Every action the
connector sends must be one the client's schema knows, with parameters it can encode, signed the
way the client signs (form-encoded POST, HMAC-SHA256 v2 over "POST")."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from landscape_api.base import API, InvalidCredentialsError, SignatureDoesNotMatchError, load_schema

from fleetgate.connectors.base import Connector, IntentRef, Permanent, PolicyViolation
from fleetsim.landscape import signature
from fleetsim.planes import connection
from fleetsim.server import Running
from tests.fixtures.connectors.support import CANARY, INTENT, LAB, artifact, connector_for, serving

VERSION = "2011-08-01"
SIGNED = {"action", "version", "access_key_id", "signature_method", "signature_version", "timestamp", "signature"}
SCHEMA: dict[str, Any] = json.loads((Path(load_schema.__code__.co_filename).parent / "schemas.json").read_text())


def client(srv: Running, secret: str | None = None) -> API:
    creds = srv.app.credentials
    return API(f"{srv.url}/api/", creds.client_id, secret or creds.client_secret)


def recording(connector: Connector, uploads: list[tuple[str, bytes]] | None = None) -> list[dict[str, str]]:
    """The form body of every API call the connector sends (and, into `uploads`, every file it PUTs)."""
    sent: list[dict[str, str]] = []
    send = connector.request

    def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
        if url.startswith("/upload/"):
            assert method == "PUT", f"dput's http method PUTs files; the connector sent {method} {url}"
            assert uploads is not None, f"unexpected upload {url}"
            uploads.append((url, kwargs["content"]))
        else:
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


def test_publish_uploads_the_deb_signed_into_the_upload_pocket(tmp_path: Path) -> None:
    """Publish reads the pocket, PUTs the .deb and then its clearsigned .changes (dput's http method),
    and waits for ListPocket to list the package; every API action is one of the client's schema."""
    with serving("landscape") as srv:
        connector = connector_for(srv.app)
        uploads: list[tuple[str, bytes]] = []
        sent = recording(connector, uploads)
        app = connector.publish(artifact(tmp_path), "k")
        for call in sent:
            known_to_the_client(call)
        assert [c["action"] for c in sent][:1] == ["GetDistributions"]
        assert sent[-1]["action"] == "ListPocket"
        assert [url for url, _ in uploads] == [
            "/upload/standalone/ubuntu/jammy/fleetgate/firefox-esr_128.6.0_amd64.deb",
            "/upload/standalone/ubuntu/jammy/fleetgate/firefox-esr_128.6.0_amd64.changes",
        ]
        deb, changes = uploads[0][1], uploads[1][1].decode()
        assert deb == Path(artifact(tmp_path).path).read_bytes()  # the artifact's own bytes
        assert changes.startswith("-----BEGIN PGP SIGNED MESSAGE-----")
        assert "Distribution: jammy-fleetgate" in changes
        assert f" {hashlib.sha256(deb).hexdigest()} {len(deb)} firefox-esr_128.6.0_amd64.deb" in changes
        assert app.external_id == "ubuntu/jammy/fleetgate/firefox-esr"
        assert app.attributes["package_version"] == "128.6.0"
        api = client(srv)
        assert api.list_pocket("fleetgate", "jammy", "ubuntu") == {
            "main/amd64": [["firefox-esr", "128.6.0"]]
        }  # the published client reads it as the connector did
        assert srv.app.upload_log == [
            "firefox-esr_128.6.0_amd64.changes: firefox-esr 128.6.0 accepted into ubuntu/jammy/fleetgate"
        ]
        assert connector.find_published(artifact(tmp_path), "k") == app  # a crashed publish is found again


def test_a_pocket_set_up_through_the_client_as_the_upload_tutorial_does_takes_the_upload(tmp_path: Path) -> None:
    import pysequoia

    with serving("landscape") as srv:
        api = client(srv)
        uploader = pysequoia.Tsk.generate("Release engineering <re@example.com>")
        api.create_distribution("acme")
        api.create_series("noble", "acme")
        api.create_pocket("staging", "noble", "acme", ["main"], ["amd64"], "upload", "mirror-key")
        api.import_gpg_key("re-upload", str(uploader.extract_certificate()))
        api.add_uploader_gpg_keys_to_pocket("staging", "noble", "acme", ["re-upload"])
        conn = connection(srv.app)
        settings = {**conn["settings"], "distribution": "acme", "series": "noble", "pocket": "staging"}
        connector = connector_for(srv.app, settings=settings, secrets={**conn["secrets"], "upload_key": str(uploader)})
        app = connector.publish(artifact(tmp_path), "k")
        assert app.external_id == "acme/noble/staging/firefox-esr"
        assert srv.app.upload_log[-1].endswith("firefox-esr 128.6.0 accepted into acme/noble/staging")
        assert api.list_pocket("staging", "noble", "acme") == {"main/amd64": [["firefox-esr", "128.6.0"]]}


def _signed_changes(srv: Running, tmp_path: Path, secret: str | None = None, **edit: str) -> tuple[bytes, bytes]:
    from fleetgate.connectors import debian
    from fleetgate.connectors.landscape import clearsign

    deb = Path(artifact(tmp_path).path).read_bytes()
    control = debian.read_control(deb)
    text = debian.changes(control, debian.deb_filename(control), deb, distribution="jammy-fleetgate")
    for old, new in edit.items():
        text = text.replace(old.replace("_", " "), new)
    return deb, (clearsign(secret, text) if secret else text.encode())


def _put(srv: Running, name: str, body: bytes, pocket: str = "ubuntu/jammy/fleetgate") -> httpx.Response:
    return httpx.put(f"{srv.url}/upload/standalone/{pocket}/{name}", content=body)


DEB, CHANGES = "firefox-esr_128.6.0_amd64.deb", "firefox-esr_128.6.0_amd64.changes"


@pytest.mark.parametrize(
    ("case", "logged"),
    [
        ("unsigned", "Unsigned upload refused"),
        ("wrong key", "public key missing"),
        ("other suite", "No distribution accepting"),
        ("other bytes", "does not match the checksums"),
        ("other version", "version '128.6.0' is not the .changes' '128.7.0'"),
        ("deb missing", "is listed but was not uploaded"),
    ],
)
def test_the_upload_service_refuses_what_landscape_refuses(tmp_path: Path, case: str, logged: str) -> None:
    import pysequoia

    with serving("landscape") as srv:
        uploader = srv.app.uploader_secret
        deb, changes = _signed_changes(
            srv,
            tmp_path,
            None if case == "unsigned" else str(pysequoia.Tsk.generate("x <x@x>")) if case == "wrong key" else uploader,
            **(
                {"Distribution:_jammy-fleetgate": "Distribution: jammy-proposed"}
                if case == "other suite"
                else {"Version:_128.6.0": "Version: 128.7.0"}
                if case == "other version"
                else {}
            ),
        )
        if case != "deb missing":
            assert _put(srv, DEB, deb + b"tampered" if case == "other bytes" else deb).status_code == 201
        assert _put(srv, CHANGES, changes).status_code == 201  # refusals surface only in the server log
        assert logged in srv.app.upload_log[-1]
        assert client(srv).list_pocket("fleetgate", "jammy", "ubuntu") == {}


def test_an_upload_to_no_upload_pocket_is_not_found(tmp_path: Path) -> None:
    with serving("landscape") as srv:
        deb, _ = _signed_changes(srv, tmp_path, srv.app.uploader_secret)
        assert _put(srv, DEB, deb, pocket="ubuntu/jammy/nowhere").status_code == 404
        assert _put(srv, DEB, deb, pocket="ubuntu/focal/fleetgate").status_code == 404


def test_publish_refuses_what_is_no_deb_and_a_pocket_that_takes_no_uploads(tmp_path: Path) -> None:
    with serving("landscape") as srv:
        not_a_deb = tmp_path / "app.deb"
        not_a_deb.write_bytes(b"MZ" + b"\0" * 100)
        connector = connector_for(srv.app)
        with pytest.raises(PolicyViolation, match="not a Debian binary package"):
            connector.publish(replace(artifact(tmp_path), path=str(not_a_deb)), "k")
        with pytest.raises(PolicyViolation, match="is package 'firefox-esr', not 'thunderbird'"):
            connector.publish(replace(artifact(tmp_path), package_name="thunderbird"), "k")
        conn = connection(srv.app)
        elsewhere = connector_for(srv.app, settings={**conn["settings"], "pocket": "updates"})
        with pytest.raises(PolicyViolation, match="no pocket ubuntu/jammy/updates; create it once"):
            elsewhere.publish(artifact(tmp_path), "k")
        unsigned = connector_for(srv.app, secrets={"secret_key": conn["secrets"]["secret_key"]})
        with pytest.raises(PolicyViolation, match="no upload_key"):
            unsigned.publish(artifact(tmp_path), "k")
        public_only = str(srv.app.uploader.extract_certificate())  # the public half cannot sign
        for key in ("not a key", public_only):
            keyless = connector_for(srv.app, secrets={**conn["secrets"], "upload_key": key})
            with pytest.raises(PolicyViolation, match="no usable OpenPGP secret key"):
                keyless.publish(artifact(tmp_path), "k")
        assert srv.app.upload_log == []


def test_a_refused_upload_fails_publish_permanently(tmp_path: Path) -> None:
    import pysequoia

    with serving("landscape") as srv:
        conn = connection(srv.app)
        stranger = str(pysequoia.Tsk.generate("Not an uploader <x@example.com>"))
        connector = connector_for(srv.app, secrets={**conn["secrets"], "upload_key": stranger})
        with pytest.raises(Permanent, match=r"package-upload\.log"):
            connector.publish(artifact(tmp_path), "k")
        assert "public key missing" in srv.app.upload_log[-1]


def test_install_comes_from_the_pocket_through_the_rings_repository_profile(tmp_path: Path) -> None:
    with serving("landscape") as srv:
        connector = connector_for(srv.app)
        api = client(srv)
        with pytest.raises(Exception, match=r"Unknown packages: firefox-esr\."):  # in no pocket of their profiles
            api.install_packages(query="tag:FG-CANARY", packages=["firefox-esr"])
        app = connector.publish(artifact(tmp_path), "k")
        connector.assign(app, CANARY, INTENT, "a")
        (profile,) = api.get_repository_profiles(names=["fleetgate"])
        assert profile["tags"] == ["FG-CANARY"]
        assert profile["pockets"] == [{"name": "fleetgate", "series": "jammy", "distribution": "ubuntu"}]
        connector.assign(app, LAB, INTENT, "b")  # a second ring: only its tag is added
        assert api.get_repository_profiles(names=["fleetgate"])[0]["tags"] == ["FG-CANARY", "FG-LAB"]
        assert [m.operation for m in srv.app.counters.entries].count("repository-profile") == 4


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


def test_a_crash_before_the_assign_call_never_takes_an_older_activity_for_its_own(tmp_path: Path) -> None:
    """The engine crashed after recording the assign as pending but before InstallPackages was sent:
    an older rollout's install of the same package on the same tag is not this assign's activity."""
    with serving("landscape") as srv:
        connector = connector_for(srv.app)
        app = connector.publish(artifact(tmp_path), "k")
        older = connector.assign(app, CANARY, INTENT, "an-earlier-rollout")
        srv.app.activities[int(older.external_id)]["creation_time"] = "2026-12-01T08:00:00Z"  # yesterday's
        pending_since = datetime.now(UTC)
        crashed = replace(INTENT, requested_at=pending_since)
        assert connector.find_assignment(app, CANARY, crashed, "a") is None  # so the engine assigns
        assert connector.find_assignment(app, CANARY, INTENT, "a") is not None  # (without the time it would not)
        made = connector.assign(app, CANARY, INTENT, "a")
        found = connector.find_assignment(app, CANARY, crashed, "a")
        assert found is not None
        assert found.external_id == made.external_id
        # what the connector asked: created-after in Landscape's query syntax, to the second
        api = client(srv)
        stamp = pending_since.strftime("%Y-%m-%dT%H:%M:%S")
        listed = api.get_activities(query=f"type:ActivityGroup created-after:{stamp}")
        assert [a["id"] for a in listed] == [int(made.external_id)]
