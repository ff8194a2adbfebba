"""The Intune connector and simulator against each other, for what Graph does that the generic
contract tests do not show: real .intunewin content, SAS renewal, assignment sets kept intact,
detection derived from install facts, v1.0 refusals with Graph's own error bodies."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from fleetgate.connectors.base import Artifact, ConnectorConfig, Runtime
from fleetgate.connectors.breaker import CircuitBreaker
from fleetgate.connectors.errors import Permanent
from fleetgate.connectors.intune import DetectionRequired, IntuneConnector, UnsupportedPackage, intunewin
from fleetgate.connectors.intune.content import block_id
from fleetsim.intune import IntuneSim
from fleetsim.intune_content import SAS_LIFETIME, verify
from fleetsim.planes import connection
from fleetsim.server import Running
from tests.fixtures.connectors.support import CANARY, INTENT, LAB, FakeClock, Sleeps, artifact, connector_for, serving

DAY = 86400.0
PRODUCT_CODE = "{0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D}"


def sim_of(srv: Running) -> IntuneSim:
    assert isinstance(srv.app, IntuneSim)
    return srv.app


def graph(sim: IntuneSim, method: str, path: str, body: Any = None) -> httpx.Response:
    connector = connector_for(sim)
    headers = connector.authenticate()
    with httpx.Client(base_url=sim.base_url, headers=headers) as client:
        return client.request(method, path, json=body)


def graph_error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "innerError"}
    assert {"date", "request-id"} <= set(body["error"]["innerError"])
    return dict(body["error"])


# ---- the .intunewin format ----------------------------------------------------------------


def test_a_built_intunewin_decrypts_with_its_encryption_info(tmp_path: Path) -> None:
    source = tmp_path / "setup.msi"
    source.write_bytes(b"installer bytes\n" * 1000)
    package = intunewin.build(str(source), "setup.msi")
    blob = Path(package.encrypted_path).read_bytes()
    info = package.encryption.as_graph()
    assert len(blob) == package.encrypted_size
    assert verify(blob, info, package.unencrypted_size) == ""
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    assert "MAC" in verify(tampered, info, package.unencrypted_size)
    assert "announced" in verify(blob, info, package.unencrypted_size + 1)
    other = intunewin.build(str(source), "setup.msi").encryption.as_graph()
    assert verify(blob, {**info, "encryptionKey": other["encryptionKey"]}, package.unencrypted_size)
    package.discard()


def test_a_packager_built_intunewin_is_read_from_its_detection_xml(tmp_path: Path) -> None:
    source = tmp_path / "app.msi"
    source.write_bytes(b"msi\n" * 500)
    built = dataclasses.replace(intunewin.build(str(source), "app.msi"), msi_product_code=PRODUCT_CODE)
    outer = tmp_path / "app.intunewin"
    intunewin.write(built, "App", str(outer))
    read = intunewin.read(str(outer))
    assert (read.setup_file, read.msi_product_code, read.unencrypted_size) == (
        "app.msi",
        PRODUCT_CODE,
        built.unencrypted_size,
    )
    assert read.encryption == built.encryption
    assert Path(read.encrypted_path).read_bytes() == Path(built.encrypted_path).read_bytes()
    with pytest.raises(Permanent, match=r"not an \.intunewin"):
        intunewin.read(str(source))


def test_a_packager_built_intunewin_publishes_with_its_msi_product_code(tmp_path: Path) -> None:
    source = tmp_path / "app.msi"
    source.write_bytes(b"msi\n" * 500)
    built = dataclasses.replace(intunewin.build(str(source), "app.msi"), msi_product_code=PRODUCT_CODE)
    outer = tmp_path / "app.intunewin"
    intunewin.write(built, "App", str(outer))
    item = Artifact("App", "2.0", "app.intunewin", "0" * 64, outer.stat().st_size, format="intunewin", path=str(outer))
    with serving("intune") as srv:
        sim = sim_of(srv)
        app = connector_for(sim).publish(item, "k")
        stored = sim.apps[app.external_id]
        assert stored["publishingState"] == "published"
        assert stored["setupFilePath"] == "app.msi"
        assert stored["rules"] == [
            {
                "@odata.type": "#microsoft.graph.win32LobAppProductCodeRule",
                "ruleType": "detection",
                "productCode": PRODUCT_CODE,
                "productVersionOperator": "notConfigured",
            }
        ]


# ---- publish ------------------------------------------------------------------------------


def test_publish_uploads_real_encrypted_content_that_the_service_verifies(tmp_path: Path) -> None:
    with serving("intune") as srv:
        sim = sim_of(srv)
        app = connector_for(sim).publish(artifact(tmp_path), "k")
        files = list(sim.files.values())
        assert [f["uploadState"] for f in files] == ["commitFileSuccess"]
        blob = sim.uploads[files[0]["id"]]["blob"]
        assert b"simulated installer payload" not in blob  # encrypted, not the raw installer
        assert sim.apps[app.external_id]["committedContentVersion"] == "1"
        block_puts = [p for m, p in sim.requests if m == "PUT" and "comp=block&" in p]
        assert block_puts
        assert all(f"blockid={quote(block_id(i), safe='')}" in p for i, p in enumerate(block_puts))


def test_a_commit_with_the_wrong_key_ends_in_commit_file_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = intunewin.EncryptionInfo.as_graph

    def wrong_mac(self: intunewin.EncryptionInfo) -> dict[str, str]:
        return {**real(self), "mac": real(dataclasses.replace(self, mac=bytes(32)))["mac"]}

    monkeypatch.setattr(intunewin.EncryptionInfo, "as_graph", wrong_mac)
    with serving("intune") as srv:
        with pytest.raises(Permanent, match="commitFileFailed"):
            connector_for(sim_of(srv)).publish(artifact(tmp_path), "k")
        assert all(not a["committedContentVersion"] for a in sim_of(srv).apps.values())


def test_an_expired_sas_is_renewed_and_the_upload_finishes(tmp_path: Path) -> None:
    with serving("intune") as srv:
        sim = sim_of(srv)
        conn, clock = connection(sim), FakeClock()

        class ExpireFirstBlock(httpx.HTTPTransport):
            expired = False

            def handle_request(self, request: httpx.Request) -> httpx.Response:
                if request.method == "PUT" and not self.expired:
                    self.expired = True
                    sim.advance(SAS_LIFETIME + 1)
                return super().handle_request(request)

        runtime = Runtime(
            sleep=Sleeps(), clock=clock, breaker=CircuitBreaker(clock=clock), transport=ExpireFirstBlock()
        )
        config = ConnectorConfig(
            kind="intune", base_url=conn["base_url"], settings=conn["settings"], secrets=conn["secrets"]
        )
        app = IntuneConnector(config, runtime).publish(artifact(tmp_path), "k")
        assert any(p.endswith("/renewUpload") for m, p in sim.requests if m == "POST")
        assert sim.apps[app.external_id]["publishingState"] == "published"


def test_publish_without_a_windows_detection_rule_is_refused_before_anything_is_created(tmp_path: Path) -> None:
    shell_only = ({"type": "script", "language": "shell", "script": "test -f /opt/x"},)
    with serving("intune") as srv:
        connector = connector_for(sim_of(srv))
        for rules in ((), shell_only):
            with pytest.raises(DetectionRequired, match="no Windows detection rule"):
                connector.publish(dataclasses.replace(artifact(tmp_path), detection_rules=rules), "k")
        with pytest.raises(UnsupportedPackage, match="macOSPkgApp"):
            connector.publish(dataclasses.replace(artifact(tmp_path), platform="macos"), "k")
        assert sim_of(srv).apps == {}


@pytest.mark.parametrize(
    ("fact", "rule"),
    [
        (
            {"type": "file", "path": "C:\\Program Files\\Mozilla Firefox\\firefox.exe", "version_at_least": "128.6"},
            {
                "path": "C:\\Program Files\\Mozilla Firefox",
                "fileOrFolderName": "firefox.exe",
                "operationType": "version",
            },
        ),
        (
            {"type": "registry", "key": "HKEY_LOCAL_MACHINE\\SOFTWARE\\Mozilla", "value_name": "V", "expected": "128"},
            {"keyPath": "HKEY_LOCAL_MACHINE\\SOFTWARE\\Mozilla", "operationType": "string", "comparisonValue": "128"},
        ),
        ({"type": "product_code", "product_code": PRODUCT_CODE}, {"productCode": PRODUCT_CODE}),
    ],
)
def test_detection_comes_from_the_install_facts(tmp_path: Path, fact: dict[str, Any], rule: dict[str, Any]) -> None:
    with serving("intune") as srv:
        app = connector_for(sim_of(srv)).publish(dataclasses.replace(artifact(tmp_path), detection_rules=(fact,)), "k")
        (stored,) = sim_of(srv).apps[app.external_id]["rules"]
        assert rule.items() <= stored.items()
        assert "displayVersion" not in sim_of(srv).apps[app.external_id]


# ---- assignments --------------------------------------------------------------------------


def test_assign_keeps_every_other_assignment_and_its_settings(tmp_path: Path) -> None:
    settings: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.win32LobAppAssignmentSettings",
        "notifications": "hideAll",
        "deliveryOptimizationPriority": "foreground",
        "installTimeSettings": {"useLocalTime": True, "deadlineDateTime": "2026-12-24T18:00:00Z"},
        "restartSettings": {"gracePeriodInMinutes": 1440, "countdownDisplayBeforeRestartInMinutes": 15},
    }
    with serving("intune") as srv:
        sim = sim_of(srv)
        connector = connector_for(sim)
        app = connector.publish(artifact(tmp_path), "k")
        lab = sim.group_id("FG-LAB")
        canary = sim.group_id("FG-CANARY")
        other: dict[str, Any] = {
            "@odata.type": "#microsoft.graph.mobileAppAssignment",
            "intent": "available",
            "target": {
                "@odata.type": "#microsoft.graph.groupAssignmentTarget",
                "groupId": lab,
                "deviceAndAppManagementAssignmentFilterId": "f-1",
                "deviceAndAppManagementAssignmentFilterType": "include",
            },
            "settings": settings,
        }
        mine = {**other, "intent": "required", "target": {**other["target"], "groupId": canary}}
        response = graph(
            sim,
            "POST",
            f"/v1.0/deviceAppManagement/mobileApps/{app.external_id}/assign",
            {"mobileAppAssignments": [other, mine]},
        )
        assert response.status_code == 204, response.text
        connector.retire(app, CANARY, "k-retire")
        by_group = {a["target"]["groupId"]: a for a in sim.assignments[app.external_id]}
        assert by_group[lab]["intent"] == "available"
        assert by_group[lab]["settings"] == settings
        assert by_group[lab]["target"] == other["target"]
        assert by_group[canary]["intent"] == "uninstall"
        assert by_group[canary]["settings"] == settings  # the ring group's own settings are kept too
        connector.assign(app, LAB, INTENT, "k-lab")
        assert {a["target"]["groupId"]: a["intent"] for a in sim.assignments[app.external_id]} == {
            lab: "required",
            canary: "uninstall",
        }


# ---- what Graph v1.0 refuses --------------------------------------------------------------

WIN32 = {
    "@odata.type": "#microsoft.graph.win32LobApp",
    "displayName": "App 1",
    "publisher": "P",
    "fileName": "a.intunewin",
    "installCommandLine": "i",
    "uninstallCommandLine": "u",
    "rules": [
        {
            "@odata.type": "#microsoft.graph.win32LobAppProductCodeRule",
            "ruleType": "detection",
            "productCode": PRODUCT_CODE,
        }
    ],
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"displayVersion": "1.0"},
            "The property 'displayVersion' does not exist on type 'microsoft.graph.win32LobApp'",
        ),
        ({"@odata.type": "#microsoft.graph.macOSPkgApp"}, "could not be resolved"),
        ({"@odata.type": None}, "abstract"),
        ({"id": "mine"}, "read-only"),
        ({"applicableArchitectures": "sparc"}, "Cannot convert the literal 'sparc'"),
        ({"minimumMemoryInMB": "lots"}, "Cannot convert the literal 'lots'"),
        ({"rules": [{"ruleType": "detection", "productCode": PRODUCT_CODE}]}, "win32LobAppRule' is abstract"),
        ({"installExperience": {"runAsAccount": "root"}}, "Cannot convert the literal 'root'"),
    ],
)
def test_v1_refuses_what_graph_refuses(change: dict[str, Any], message: str) -> None:
    with serving("intune") as srv:
        body = {k: v for k, v in {**WIN32, **change}.items() if v is not None}
        response = graph(sim_of(srv), "POST", "/v1.0/deviceAppManagement/mobileApps", body)
        assert response.status_code == 400
        assert message in graph_error_of(response)["message"]
        assert sim_of(srv).apps == {}


def test_assign_refuses_a_target_without_its_odata_type(tmp_path: Path) -> None:
    with serving("intune") as srv:
        sim = sim_of(srv)
        app = connector_for(sim).publish(artifact(tmp_path), "k")
        body = {"mobileAppAssignments": [{"intent": "required", "target": {"groupId": sim.group_id("FG-LAB")}}]}
        response = graph(sim, "POST", f"/v1.0/deviceAppManagement/mobileApps/{app.external_id}/assign", body)
        assert response.status_code == 400
        assert "deviceAndAppManagementAssignmentTarget' is abstract" in graph_error_of(response)["message"]


def test_the_removed_device_statuses_list_answers_400(tmp_path: Path) -> None:
    with serving("intune") as srv:
        app = connector_for(sim_of(srv)).publish(artifact(tmp_path), "k")
        for version in ("beta", "v1.0"):
            response = graph(
                sim_of(srv), "GET", f"/{version}/deviceAppManagement/mobileApps/{app.external_id}/deviceStatuses"
            )
            assert response.status_code == 400
            assert graph_error_of(response)["message"] == "Resource not found for the segment 'deviceStatuses'."


def test_report_rows_appear_only_after_check_in_and_join_through_azure_ad_device_id(tmp_path: Path) -> None:
    with serving("intune") as srv:
        sim = sim_of(srv)
        connector = connector_for(sim)
        app = connector.publish(artifact(tmp_path), "k")
        connector.assign(app, CANARY, INTENT, "k-assign")
        report = {"filter": f"(ApplicationId eq '{app.external_id}')", "select": ["DeviceId"], "top": 50}
        path = "/v1.0/deviceManagement/reports/retrieveDeviceAppInstallationStatusReport"
        assert graph(sim, "POST", path, report).json()["TotalRowCount"] == 0
        assert connector.observe(app, CANARY).pending == 30
        sim.advance(30 * DAY)
        rows = graph(sim, "POST", path, report).json()
        assert rows["TotalRowCount"] == 30
        members = graph(sim, "GET", f"/beta/groups/{sim.group_id('FG-CANARY')}/members/microsoft.graph.device").json()
        entra_ids = {m["deviceId"] for m in members["value"]}
        assert not {r[0] for r in rows["Values"]} & entra_ids  # the report names managed devices, not Entra ids
        observed = connector.observe(app, CANARY)
        assert observed.pending == 0
        assert observed.installed + observed.failed + observed.not_applicable == 30
        bad = graph(sim, "POST", path, {**report, "select": ["Nope"]})
        assert bad.status_code == 400
        graph_error_of(bad)


def test_no_simulator_field_leaks_into_a_response(tmp_path: Path) -> None:
    with serving("intune") as srv:
        sim = sim_of(srv)
        connector = connector_for(sim)
        app = connector.publish(artifact(tmp_path), "k")
        sim.apps[app.external_id]["isAssigned"] = True  # what the console may set on the record
        listed = graph(sim, "GET", "/v1.0/deviceAppManagement/mobileApps").json()["value"]
        (file_id,) = sim.files
        text = json.dumps(listed) + json.dumps(sim.files[file_id])
        assert "isAssigned" not in json.dumps(listed)
        for internal in ("blocks", "blob", "sig", "polls", "commit_failure", "_"):
            assert f'"{internal}"' not in text
