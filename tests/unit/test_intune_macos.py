"""Intune publishing of a macOS .pkg as a macOSPkgApp (Graph beta): the install facts' macos_bundle
rule, the body built from it, and the connector against the simulator over real HTTP — create,
encrypted upload, commit, assign, observe, inventory, retire and resume all on /beta — with the
refusals: no bundle rule, not a .pkg, and everything v1.0 answers for a type it does not have."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from fleetgate.connectors.base import Artifact
from fleetgate.connectors.errors import Permanent, Transient
from fleetgate.connectors.intune import DetectionRequired, IntuneConnector, UnsupportedPackage, apps, content, intunewin
from fleetgate.evidence import facts
from fleetgate.evidence.documents import EvidenceInvalid, Kind
from fleetsim.intune import IntuneSim
from fleetsim.intune_content import verify
from fleetsim.server import Running
from tests.fixtures.connectors.support import CANARY, INTENT, LAB, connector_for, serving
from tests.fixtures.evidence import builders

DAY = 86400.0
SLACK = {"type": "macos_bundle", "bundle_id": "com.tinyspeck.slackmacgap", "bundle_version": "4.41.0"}
HELPER = {"type": "macos_bundle", "bundle_id": "com.tinyspeck.slackmacgap.helper", "bundle_version": "4.41.0"}


def pkg_artifact(tmp_path: Path, *rules: dict[str, Any], **changes: Any) -> Artifact:
    payload = b"xar!\x00\x1c\x00\x01" + os.urandom(40_000)  # a .pkg is a xar archive; Intune takes it as is
    path = tmp_path / "slack.pkg"
    path.write_bytes(payload)
    item = Artifact(
        name="Slack",
        version="4.41.0",
        filename="Slack-4.41.0.pkg",
        sha256=hashlib.sha256(payload).hexdigest(),
        size=len(payload),
        platform="macos",
        format="pkg",
        publisher="Salesforce",
        path=str(path),
        detection_rules=rules or (SLACK, HELPER),
    )
    return dataclasses.replace(item, **changes)


def sim_of(srv: Running) -> IntuneSim:
    assert isinstance(srv.app, IntuneSim)
    return srv.app


def intune(sim: IntuneSim, **kwargs: Any) -> IntuneConnector:
    connector = connector_for(sim, **kwargs)
    assert isinstance(connector, IntuneConnector)
    return connector


def graph(sim: IntuneSim, method: str, path: str, body: Any = None) -> httpx.Response:
    headers = intune(sim).authenticate()
    with httpx.Client(base_url=sim.base_url, headers=headers) as client:
        return client.request(method, path, json=body)


def graph_error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "innerError"}
    return dict(body["error"])


def decrypt(blob: bytes, info: dict[str, str]) -> bytes:
    key, iv = base64.b64decode(info["encryptionKey"]), base64.b64decode(info["initializationVector"])
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(decryptor.update(blob[48:]) + decryptor.finalize()) + unpadder.finalize()


# ---- the install fact ---------------------------------------------------------------------


def facts_with(*rules: dict[str, Any]) -> dict[str, Any]:
    return {**builders.install_facts(), "detection_rules": list(rules)}


def parse_facts(doc: dict[str, Any]) -> dict[str, Any]:
    return facts.parse(Kind.INSTALL_FACTS, json.dumps(doc).encode(), "install.json").summary


def test_a_macos_bundle_rule_is_an_install_fact_and_the_existing_kinds_still_are() -> None:
    summary = parse_facts(facts_with(SLACK, {**HELPER, "minimum_macos": "12.3"}))
    assert summary["detection_rules"] == [{**SLACK, "minimum_macos": ""}, {**HELPER, "minimum_macos": "12.3"}]
    assert parse_facts(builders.install_facts())["detection_rules"][0]["type"] == "product_code"
    mixed = parse_facts(facts_with({"type": "file", "path": "/Applications/Slack.app"}, SLACK))
    assert [r["type"] for r in mixed["detection_rules"]] == ["file", "macos_bundle"]


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"bundle_id": "slack"}, "macos_bundle.bundle_id", "not a reverse-DNS bundle identifier"),
        ({"bundle_id": "com..slack"}, "macos_bundle.bundle_id", "reverse-DNS"),
        ({"bundle_id": "com.slack."}, "macos_bundle.bundle_id", "reverse-DNS"),
        ({"bundle_id": "com.tiny_speck.slack"}, "macos_bundle.bundle_id", "reverse-DNS"),
        ({"bundle_id": "com.slack app"}, "macos_bundle.bundle_id", "reverse-DNS"),
        ({"bundle_version": ""}, "macos_bundle.bundle_version", "bundle_version is empty"),
        ({"bundle_version": "  "}, "macos_bundle.bundle_version", "bundle_version is empty"),
        ({"bundle_version": "4.41 beta"}, "macos_bundle.bundle_version", "whitespace"),
        ({"bundle_version": None}, "macos_bundle.bundle_version", "string"),
        ({"minimum_macos": "16"}, "macos_bundle.minimum_macos", "not a macOS release"),
        ({"minimum_macos": "10.6"}, "macos_bundle.minimum_macos", "not a macOS release"),
        ({"minimum_macos": "Sonoma"}, "macos_bundle.minimum_macos", "not a macOS release"),
        ({"bundle": "com.x.y"}, "macos_bundle.bundle", "Extra inputs"),
    ],
)
def test_a_bad_macos_bundle_rule_is_refused_naming_its_field(change: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(EvidenceInvalid) as caught:
        parse_facts(facts_with({**SLACK, **change}))
    (issue,) = caught.value.errors
    assert issue.field == f"install.json:$.detection_rules[0].{path}", issue
    assert words in issue.message


def test_a_missing_bundle_field_and_a_bundle_named_twice_are_refused() -> None:
    with pytest.raises(EvidenceInvalid) as caught:
        parse_facts(facts_with({"type": "macos_bundle", "bundle_id": "com.vendor.app"}))
    assert [e.field for e in caught.value.errors] == ["install.json:$.detection_rules[0].macos_bundle.bundle_version"]
    with pytest.raises(EvidenceInvalid) as caught:
        parse_facts(facts_with(SLACK, {**SLACK, "bundle_version": "4.42.0"}))
    (issue,) = caught.value.errors
    assert issue.field == "install.json:$.detection_rules"
    assert "'com.tinyspeck.slackmacgap' is named more than once" in issue.message


@pytest.mark.parametrize("release", ["10.7", "10.15.7", "11", "12.3", "15.0", "26", "26.1"])
def test_minimum_macos_takes_every_macos_release(release: str) -> None:
    assert (
        parse_facts(facts_with({**SLACK, "minimum_macos": release}))["detection_rules"][0]["minimum_macos"] == release
    )


# ---- the body -----------------------------------------------------------------------------


def test_the_pkg_body_is_built_from_the_bundle_rules(tmp_path: Path) -> None:
    item = pkg_artifact(tmp_path)
    body = apps.pkg_body(item, "fleetgate:abc", apps.bundles(item))
    assert body == {
        "@odata.type": "#microsoft.graph.macOSPkgApp",
        "displayName": "Slack 4.41.0",
        "description": (
            f"Slack 4.41.0, published by Fleetgate (version 4.41.0; sha256 {item.sha256})."  # inventory reads it back
        ),
        "publisher": "Salesforce",
        "notes": "fleetgate:abc",
        "fileName": "Slack-4.41.0.pkg",
        "primaryBundleId": "com.tinyspeck.slackmacgap",
        "primaryBundleVersion": "4.41.0",
        "includedApps": [
            {
                "@odata.type": "#microsoft.graph.macOSIncludedApp",
                "bundleId": "com.tinyspeck.slackmacgap",
                "bundleVersion": "4.41.0",
            },
            {
                "@odata.type": "#microsoft.graph.macOSIncludedApp",
                "bundleId": "com.tinyspeck.slackmacgap.helper",
                "bundleVersion": "4.41.0",
            },
        ],
        "minimumSupportedOperatingSystem": {
            "@odata.type": "#microsoft.graph.macOSMinimumOperatingSystem",
            "v11_0": True,
        },
        "ignoreVersionDetection": False,
    }
    assert apps.version_of(body) == "4.41.0"


@pytest.mark.parametrize(
    ("minimums", "flag"),
    [
        ((), "v11_0"),  # the default
        (("10.15",), "v10_15"),  # the facts win over the default, lower or higher
        (("10.13.6",), "v10_13"),
        (("12.3", "13"), "v13_0"),  # the highest a bundle needs
        (("14.0", ""), "v14_0"),
        (("26",), "v26_0"),
    ],
)
def test_the_minimum_os_is_the_highest_a_bundle_needs(tmp_path: Path, minimums: tuple[str, ...], flag: str) -> None:
    rules = [{**SLACK, "bundle_id": f"com.vendor.app{i}", "minimum_macos": m} for i, m in enumerate(minimums)] or [
        SLACK
    ]
    item = pkg_artifact(tmp_path, *rules)
    assert apps.minimum_os(apps.bundles(item)) == {
        "@odata.type": "#microsoft.graph.macOSMinimumOperatingSystem",
        flag: True,
    }


def test_a_release_graph_has_no_flag_for_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedPackage, match=r"no flag for macOS 28\.0"):
        apps.minimum_os(apps.bundles(pkg_artifact(tmp_path, {**SLACK, "minimum_macos": "28"})))


def test_the_windows_rules_ignore_a_bundle_rule_and_the_pkg_body_ignores_windows_rules(tmp_path: Path) -> None:
    code = {"type": "product_code", "product_code": "{0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D}"}
    item = pkg_artifact(tmp_path, code, SLACK, {**SLACK, "bundle_version": "9"})  # a duplicate (unvalidated facts)
    assert [r["@odata.type"] for r in apps.rules(item)] == ["#microsoft.graph.win32LobAppProductCodeRule"]
    assert apps.bundles(item) == [{"bundle_id": SLACK["bundle_id"], "bundle_version": "4.41.0", "minimum_macos": ""}]


# ---- publish through the simulator (real HTTP) --------------------------------------------


def test_a_pkg_is_published_assigned_observed_and_retired_on_beta(tmp_path: Path) -> None:
    item = pkg_artifact(tmp_path)
    with serving("intune") as srv:
        sim = sim_of(srv)
        connector = intune(sim)
        app = connector.publish(item, "k-publish")
        assert app.attributes == {"odata_type": "#microsoft.graph.macOSPkgApp"}
        stored = sim.apps[app.external_id]
        assert stored["@odata.type"] == "#microsoft.graph.macOSPkgApp"
        assert (stored["publishingState"], stored["committedContentVersion"]) == ("published", "1")
        assert (stored["primaryBundleId"], stored["fileName"]) == ("com.tinyspeck.slackmacgap", "Slack-4.41.0.pkg")
        # the content: the .pkg itself (not zipped), encrypted, verified by the service on commit
        (record,) = sim.files.values()
        assert (record["name"], record["size"], record["uploadState"]) == (
            "Slack-4.41.0.pkg",
            item.size,
            "commitFileSuccess",
        )
        blob = sim.uploads[record["id"]]["blob"]
        assert record["sizeEncrypted"] == len(blob)
        assert b"xar!" not in blob
        assert stored["size"] == item.size
        # every call on the app is on beta: v1.0 has no macOSPkgApp
        on_app = [p for _m, p in sim.requests if app.external_id in p and "/reports/" not in p]
        assert on_app
        assert all(p.startswith("/beta/") for p in on_app), on_app
        assert any("/microsoft.graph.macOSPkgApp/contentVersions/1/files/" in p for p in on_app)

        connector.assign(app, CANARY, INTENT, "k-assign")
        assert [a["intent"] for a in sim.assignments[app.external_id]] == ["required"]
        assert connector.find_assignment(app, CANARY, INTENT, "k-assign") is not None
        assert connector.observe(app, CANARY).pending == 30  # nobody reported yet
        sim.advance(30 * DAY)
        observed = connector.observe(app, CANARY)
        assert (observed.total, observed.pending, observed.action) == (30, 0, "install")
        assert observed.installed + observed.failed + observed.not_applicable == 30
        assert {row["Platform"] for row in sim._rows(app.external_id)} == {"macOS"}  # the report's own column

        (row,) = [i for i in connector.inventory(CANARY) if i.external_id == app.external_id]
        assert (row.name, row.version, row.intent, row.group) == ("Slack 4.41.0", "4.41.0", "install", "FG-CANARY")
        assert connector.inventory(LAB) == []

        connector.retire(app, CANARY, "k-retire")
        assert [a["intent"] for a in sim.assignments[app.external_id]] == ["uninstall"]
        sim.advance(30 * DAY)
        assert connector.observe(app, CANARY).action == "uninstall"

        found = connector.find_published(item, "k-publish")
        assert found is not None
        assert (found.external_id, found.attributes) == (app.external_id, app.attributes)
        assert connector.find_published(item, "k-other") is None
        connector.close()


def test_the_uploaded_pkg_decrypts_to_the_pkg_with_the_committed_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sealed: list[intunewin.IntuneWin] = []
    real = intunewin.seal

    def keep(path: str, name: str) -> intunewin.IntuneWin:
        sealed.append(real(path, name))
        return sealed[-1]

    monkeypatch.setattr(intunewin, "seal", keep)
    item = pkg_artifact(tmp_path)
    with serving("intune") as srv:
        sim = sim_of(srv)
        intune(sim).publish(item, "k")
        (record,) = sim.files.values()
        blob = sim.uploads[record["id"]]["blob"]
    info = sealed[0].encryption.as_graph()
    assert decrypt(blob, info) == Path(item.path).read_bytes()
    assert verify(blob, info, item.size) == ""
    assert base64.b64decode(info["fileDigest"]) == hashlib.sha256(Path(item.path).read_bytes()).digest()
    assert not Path(sealed[0].encrypted_path).exists()  # the encrypted copy is discarded


def test_a_wrong_mac_on_the_beta_commit_ends_in_commit_file_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = intunewin.EncryptionInfo.as_graph
    monkeypatch.setattr(
        intunewin.EncryptionInfo,
        "as_graph",
        lambda self: {**real(self), "mac": real(dataclasses.replace(self, mac=bytes(32)))["mac"]},
    )
    with serving("intune") as srv:
        with pytest.raises(Permanent, match="commitFileFailed"):
            intune(sim_of(srv)).publish(pkg_artifact(tmp_path), "k")
        assert all(not a["committedContentVersion"] for a in sim_of(srv).apps.values())


def test_an_interrupted_upload_is_resumed_on_beta_by_find_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = pkg_artifact(tmp_path)
    real = content.upload

    def crash(*args: Any, **kwargs: Any) -> None:
        raise Transient("intune: the worker died mid-upload")

    with serving("intune") as srv:
        sim = sim_of(srv)
        connector = intune(sim)
        monkeypatch.setattr(content, "upload", crash)
        with pytest.raises(Transient):
            connector.publish(item, "k")
        (stored,) = sim.apps.values()
        assert stored["committedContentVersion"] is None
        monkeypatch.setattr(content, "upload", real)
        found = connector.find_published(item, "k")
        assert found is not None
        assert found.external_id == stored["id"]
        assert stored["publishingState"] == "published"
        assert [m for m, p in sim.requests if "contentVersions" in p and not p.startswith("/beta/")] == []


def test_a_dry_run_records_the_beta_requests_and_sends_none(tmp_path: Path) -> None:
    with serving("intune") as srv:
        sim = sim_of(srv)
        connector = intune(sim, dry_run=True)
        app = connector.publish(pkg_artifact(tmp_path), "k")
        assert app.external_id == "dry-run-app"
        writes = [r for r in connector.recorded if r.method != "GET" and "oauth2" not in r.url]
        assert writes
        assert all(not r.sent for r in writes)
        graph_writes = [r for r in writes if "/_blob/" not in r.url and "dry-run-blob" not in r.url]
        assert all("/beta/deviceAppManagement/mobileApps" in r.url for r in graph_writes), graph_writes
        assert sim.apps == {}


# ---- refusals -----------------------------------------------------------------------------


def test_a_pkg_without_a_bundle_rule_is_refused_before_anything_is_created(tmp_path: Path) -> None:
    with serving("intune") as srv:
        sim = sim_of(srv)
        connector = intune(sim)
        for rules in (
            {"type": "file", "path": "/Applications/Slack.app"},
            {"type": "script", "language": "zsh", "script": "x"},
        ):
            with pytest.raises(DetectionRequired) as caught:
                connector.publish(pkg_artifact(tmp_path, rules), "k")
            assert isinstance(caught.value, Permanent)
            assert "has no macOS bundle rule" in str(caught.value)
            assert '"type": "macos_bundle"' in str(caught.value)  # the sentence says what to add
        with pytest.raises(DetectionRequired, match="install facts give: none"):
            connector.publish(dataclasses.replace(pkg_artifact(tmp_path), detection_rules=()), "k")
        assert sim.apps == {}
        assert sim.requests == []  # refused before even a token was asked for


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"format": "dmg", "filename": "Slack-4.41.0.dmg"}, r"is a \.dmg \(Graph's macOSDmgApp\)"),
        ({"format": "msi", "filename": "slack.msi"}, "is a msi"),
        ({"format": "", "filename": "Slack.zip"}, "is a file"),
    ],
)
def test_a_macos_package_that_is_not_a_pkg_stays_refused(tmp_path: Path, changes: dict[str, Any], words: str) -> None:
    with serving("intune") as srv:
        with pytest.raises(UnsupportedPackage, match=words) as caught:
            intune(sim_of(srv)).publish(pkg_artifact(tmp_path, **changes), "k")
        assert "only as a .pkg (macOSPkgApp, Graph beta)" in str(caught.value)
        assert sim_of(srv).apps == {}


def test_another_platform_is_refused(tmp_path: Path) -> None:
    with serving("intune") as srv, pytest.raises(UnsupportedPackage, match="not a ios package"):
        intune(sim_of(srv)).publish(pkg_artifact(tmp_path, platform="ios", format="ipa"), "k")


# ---- what the simulator answers, as Graph does ---------------------------------------------


def pkg_body(tmp_path: Path) -> dict[str, Any]:
    item = pkg_artifact(tmp_path)
    return apps.pkg_body(item, "fleetgate:test", apps.bundles(item))


def test_v1_does_not_know_a_macos_pkg_app(tmp_path: Path) -> None:
    with serving("intune") as srv:
        sim = sim_of(srv)
        refused = graph(sim, "POST", "/v1.0/deviceAppManagement/mobileApps", pkg_body(tmp_path))
        assert refused.status_code == 400
        assert "'microsoft.graph.macOSPkgApp' could not be resolved" in graph_error_of(refused)["message"]
        assert sim.apps == {}
        app = intune(sim).publish(pkg_artifact(tmp_path), "k")
        app_path = f"/deviceAppManagement/mobileApps/{app.external_id}"
        # a v1.0 list leaves it out, a v1.0 read, PATCH or assign does not find it, its cast is unknown
        assert graph(sim, "GET", "/v1.0/deviceAppManagement/mobileApps").json()["value"] == []
        (listed,) = graph(sim, "GET", "/beta/deviceAppManagement/mobileApps").json()["value"]
        assert listed["@odata.type"] == "#microsoft.graph.macOSPkgApp"
        isof = "$filter=isof('microsoft.graph.macOSPkgApp')"
        assert len(graph(sim, "GET", f"/beta/deviceAppManagement/mobileApps?{isof}").json()["value"]) == 1
        on_v1 = graph(sim, "GET", f"/v1.0/deviceAppManagement/mobileApps?{isof}")
        assert on_v1.status_code == 400
        assert "could not be resolved" in graph_error_of(on_v1)["message"]
        assert graph(sim, "GET", f"/v1.0{app_path}").status_code == 404
        assert graph(sim, "GET", f"/beta{app_path}").json()["primaryBundleId"] == "com.tinyspeck.slackmacgap"
        patch = {"@odata.type": "#microsoft.graph.macOSPkgApp", "committedContentVersion": "1"}
        assert graph(sim, "PATCH", f"/v1.0{app_path}", patch).status_code == 404
        assert graph(sim, "POST", f"/v1.0{app_path}/assign", {"mobileAppAssignments": []}).status_code == 404
        assert graph(sim, "GET", f"/v1.0{app_path}/assignments").status_code == 404
        cast = graph(sim, "POST", f"/v1.0{app_path}/microsoft.graph.macOSPkgApp/contentVersions", {})
        assert cast.status_code == 400
        assert graph_error_of(cast)["message"] == "Resource not found for the segment 'microsoft.graph.macOSPkgApp'."
        (file_id,) = sim.files
        for method, tail in (("GET", ""), ("POST", "/commit"), ("POST", "/renewUpload")):
            path = f"/v1.0{app_path}/microsoft.graph.macOSPkgApp/contentVersions/1/files/{file_id}{tail}"
            assert graph(sim, method, path, {} if method == "POST" else None).status_code == 400, path
        wrong_cast = graph(sim, "POST", f"/beta{app_path}/microsoft.graph.win32LobApp/contentVersions", {})
        assert wrong_cast.status_code == 404


def test_a_v1_only_connector_setting_does_not_move_the_pkg_off_beta(tmp_path: Path) -> None:
    with serving("intune") as srv:
        sim = sim_of(srv)
        connector = intune(sim)
        assert connector.v1 == "/v1.0"
        connector.publish(pkg_artifact(tmp_path), "k")
        assert not [p for m, p in sim.requests if m == "POST" and p.startswith("/v1.0/deviceAppManagement")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        *(
            ({name: None}, f"Missing required properties: {name}")
            for name in (
                "displayName",
                "publisher",
                "fileName",
                "primaryBundleId",
                "primaryBundleVersion",
                "includedApps",
                "minimumSupportedOperatingSystem",
            )
        ),
        ({"includedApps": []}, "Missing required properties: includedApps"),
        (
            {"includedApps": [{"bundleId": "com.vendor.app", "bundleVersion": "1"}]},
            "includedApps[0] needs its @odata.type",
        ),
        (
            {"includedApps": [{"@odata.type": "#microsoft.graph.macOSIncludedApp", "bundleId": "com.vendor.app"}]},
            "includedApps[0] needs a bundleId and a bundleVersion",
        ),
        (
            {
                "includedApps": [
                    {"@odata.type": "#microsoft.graph.macOSIncludedApp", "bundleId": "a.b", "bundleVersion": "1"}
                ]
                * 501
            },
            "at most 500",
        ),
        (
            {
                "minimumSupportedOperatingSystem": {
                    "@odata.type": "#microsoft.graph.macOSMinimumOperatingSystem",
                    "v11_0": False,
                }
            },
            "at least one macOS release",
        ),
        ({"minimumSupportedOperatingSystem": {"v16_0": True}}, "The property 'v16_0' does not exist"),
        (
            {"displayVersion": "4.41.0"},
            "The property 'displayVersion' does not exist on type 'microsoft.graph.macOSPkgApp'",
        ),
        ({"ignoreVersionDetection": "no"}, "Cannot convert the literal 'no'"),
        ({"id": "mine"}, "read-only"),
        ({"includedApps": [{"@odata.type": "#microsoft.graph.win32LobAppReturnCode"}]}, "is not compatible"),
    ],
)
def test_beta_refuses_a_pkg_app_graph_refuses(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    with serving("intune") as srv:
        body = {k: v for k, v in {**pkg_body(tmp_path), **change}.items() if v is not None}
        response = graph(sim_of(srv), "POST", "/beta/deviceAppManagement/mobileApps", body)
        assert response.status_code == 400, response.text
        assert message in graph_error_of(response)["message"]
        assert sim_of(srv).apps == {}


def test_beta_still_does_not_model_other_app_types(tmp_path: Path) -> None:
    with serving("intune") as srv:
        body = {"@odata.type": "#microsoft.graph.win32LobApp", "displayName": "x"}
        response = graph(sim_of(srv), "POST", "/beta/deviceAppManagement/mobileApps", body)
        assert response.status_code == 400
        assert "does not model creating apps in beta (win32LobApp)" in graph_error_of(response)["message"]
