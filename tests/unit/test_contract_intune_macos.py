"""Contract: a macOS .pkg published through Intune as a macOSPkgApp, against the models of the
Microsoft Graph **beta** SDK for Python (msgraph-beta-sdk 1.66.0, generated from the beta metadata;
checked 2026-12-02 with Microsoft Learn's Graph beta pages "macOSPkgApp resource type", "Create
macOSPkgApp", "macOSIncludedApp resource type" and "macOSMinimumOperatingSystem resource type").

As tests/unit/test_contract_intune.py does for v1.0: every simulator response the connector reads
in a macOS rollout (create, content version, file, commit, PATCH, assign, assignments, observe,
inventory, find_published) parses into its beta SDK model with nothing left over at any level,
and every request body the connector sends parses into its beta model and serialises back to the
same body, field for field. The v1.0 reads of the same rollout (the install status report, managed
devices, groups) are checked against the v1.0 models."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from fleetgate.connectors.intune import apps
from tests.fixtures.connectors.support import CANARY, INTENT, serving
from tests.unit.test_contract_intune import (
    _models as v1_models,
)
from tests.unit.test_contract_intune import (
    check_request,
    leftovers,
    parse,
    recording_connector,
)
from tests.unit.test_intune_macos import pkg_artifact

DAY = 86400.0


def _beta_models() -> dict[str, Any]:
    from msgraph_beta.generated.device_app_management.mobile_apps.item.assign.assign_post_request_body import (
        AssignPostRequestBody,
    )
    from msgraph_beta.generated.device_app_management.mobile_apps.item.graph_mac_o_s_pkg_app.content_versions.item.files.item.commit.commit_post_request_body import (  # noqa: E501
        CommitPostRequestBody,
    )
    from msgraph_beta.generated.models.device_collection_response import DeviceCollectionResponse
    from msgraph_beta.generated.models.mobile_app import MobileApp
    from msgraph_beta.generated.models.mobile_app_assignment_collection_response import (
        MobileAppAssignmentCollectionResponse,
    )
    from msgraph_beta.generated.models.mobile_app_collection_response import MobileAppCollectionResponse
    from msgraph_beta.generated.models.mobile_app_content import MobileAppContent
    from msgraph_beta.generated.models.mobile_app_content_file import MobileAppContentFile
    from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError

    return {
        "AssignPostRequestBody": AssignPostRequestBody,
        "CommitPostRequestBody": CommitPostRequestBody,
        "DeviceCollectionResponse": DeviceCollectionResponse,
        "MobileApp": MobileApp,
        "MobileAppAssignmentCollectionResponse": MobileAppAssignmentCollectionResponse,
        "MobileAppCollectionResponse": MobileAppCollectionResponse,
        "MobileAppContent": MobileAppContent,
        "MobileAppContentFile": MobileAppContentFile,
        "ODataError": ODataError,
    }


APP = r"/beta/deviceAppManagement/mobileApps"
CONTENT = APP + r"/[^/]+/microsoft\.graph\.macOSPkgApp/contentVersions"
FILES = CONTENT + r"/[^/]+/files"
# (method, path, request model, response model, "beta" | "v1.0"); None: no JSON body that way
ROUTES: list[tuple[str, str, str | None, str | None, str]] = [
    ("POST", APP, "MobileApp", "MobileApp", "beta"),
    ("GET", APP, None, "MobileAppCollectionResponse", "beta"),
    ("PATCH", APP + r"/[^/]+", "MobileApp", None, "beta"),
    ("POST", CONTENT, "MobileAppContent", "MobileAppContent", "beta"),
    ("POST", FILES, "MobileAppContentFile", "MobileAppContentFile", "beta"),
    ("GET", FILES + r"/[^/]+", None, "MobileAppContentFile", "beta"),
    ("POST", FILES + r"/[^/]+/commit", "CommitPostRequestBody", None, "beta"),
    ("POST", FILES + r"/[^/]+/renewUpload", None, None, "beta"),
    ("POST", APP + r"/[^/]+/assign", "AssignPostRequestBody", None, "beta"),
    ("GET", APP + r"/[^/]+/assignments", None, "MobileAppAssignmentCollectionResponse", "beta"),
    ("GET", r"/beta/groups/[^/]+/members/microsoft\.graph\.device", None, "DeviceCollectionResponse", "beta"),
    ("GET", r"/v1\.0/deviceAppManagement/mobileApps", None, "MobileAppCollectionResponse", "v1.0"),
    ("GET", r"/v1\.0/groups", None, "GroupCollectionResponse", "v1.0"),
    ("GET", r"/v1\.0/deviceManagement/managedDevices", None, "ManagedDeviceCollectionResponse", "v1.0"),
    (
        "POST",
        r"/v1\.0/deviceManagement/reports/retrieveDeviceAppInstallationStatusReport",
        "RetrieveDeviceAppInstallationStatusReportPostRequestBody",
        None,
        "v1.0",
    ),
]


def route(request: httpx.Request) -> tuple[str | None, str | None, str] | None:
    for method, pattern, req, resp, version in ROUTES:
        if request.method == method and re.fullmatch(pattern, request.url.path):
            return req, resp, version
    return None


@pytest.fixture(scope="module")
def exchanges(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[httpx.Request, httpx.Response]]:
    tmp_path = tmp_path_factory.mktemp("intune-macos")
    item = pkg_artifact(tmp_path)
    with serving("intune") as srv:
        connector, transport = recording_connector(srv.app)
        app = connector.publish(item, "k-publish")
        lab = {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": srv.app.group_id("FG-LAB")}  # type: ignore[attr-defined]
        connector.request(  # an administrator's assignment the connector must send back intact
            "POST",
            f"/beta/deviceAppManagement/mobileApps/{app.external_id}/assign",
            json_body={
                "mobileAppAssignments": [
                    {"@odata.type": "#microsoft.graph.mobileAppAssignment", "intent": "available", "target": lab}
                ]
            },
        )
        connector.assign(app, CANARY, INTENT, "k-assign")
        srv.app.advance(30 * DAY)
        observed = connector.observe(app, CANARY)
        assert (observed.total, observed.pending) == (30, 0)
        assert [i.external_id for i in connector.inventory(CANARY)] == [app.external_id]
        connector.retire(app, CANARY, "k-retire")
        assert connector.find_published(item, "k-publish") is not None
        connector.close()
    return transport.exchanges


def test_every_request_and_response_of_a_macos_rollout_is_a_graph_model(
    exchanges: list[tuple[httpx.Request, httpx.Response]],
) -> None:
    models = {"beta": _beta_models(), "v1.0": v1_models()}
    problems, seen = [], set()
    for request, response in exchanges:
        if request.url.path.endswith("/oauth2/v2.0/token") or request.url.path.startswith("/_blob/"):
            continue  # the identity platform and Azure Storage are not Graph
        found = route(request)
        assert found is not None, f"a connector request no contract covers: {request.method} {request.url.path}"
        req, resp, version = found
        seen.add((request.method, req, resp, version))
        where, model = f"{request.method} {request.url.path}", models[version]
        if req is not None:
            problems += [f"{where} request {p}" for p in check_request(model[req], json.loads(request.content))]
        else:
            assert not request.content, f"{where} sends a body its action does not take"
        if response.status_code >= 400:
            problems += [f"{where} error {p}" for p in leftovers(parse(model["ODataError"], response.json()))]
        elif resp is not None:
            problems += [f"{where} response {p}" for p in leftovers(parse(model[resp], response.json()))]
    assert not problems, "\n".join(problems)
    assert len(seen) >= 13, seen  # the whole flow ran: create, upload, commit, assign, report, join, inventory


def test_the_created_app_parses_as_a_beta_macos_pkg_app(exchanges: list[tuple[httpx.Request, httpx.Response]]) -> None:
    from msgraph_beta.generated.models.mac_o_s_pkg_app import MacOSPkgApp

    (request, response) = next(
        (q, r) for q, r in exchanges if q.method == "POST" and q.url.path == "/beta/deviceAppManagement/mobileApps"
    )
    models = _beta_models()
    sent = parse(models["MobileApp"], json.loads(request.content))
    answered = parse(models["MobileApp"], response.json())
    for app in (sent, answered):
        assert isinstance(app, MacOSPkgApp)
        assert (app.primary_bundle_id, app.primary_bundle_version) == ("com.tinyspeck.slackmacgap", "4.41.0")
        assert [(i.bundle_id, i.bundle_version) for i in app.included_apps or []] == [
            ("com.tinyspeck.slackmacgap", "4.41.0"),
            ("com.tinyspeck.slackmacgap.helper", "4.41.0"),
        ]
        assert app.minimum_supported_operating_system is not None
        assert app.minimum_supported_operating_system.v11_0 is True
        assert app.ignore_version_detection is False
        assert str(app.notes).startswith("fleetgate:")
    assert answered.id == response.json()["id"]
    assert answered.committed_content_version is None


def test_the_connectors_pkg_body_is_a_beta_model_field_for_field(tmp_path: Path) -> None:
    item = pkg_artifact(tmp_path, *[{**r, "minimum_macos": "13.1"} for r in pkg_artifact(tmp_path).detection_rules])
    body = apps.pkg_body(item, "fleetgate:0123", apps.bundles(item))
    assert body["minimumSupportedOperatingSystem"] == {
        "@odata.type": "#microsoft.graph.macOSMinimumOperatingSystem",
        "v13_0": True,
    }
    assert check_request(_beta_models()["MobileApp"], body) == []


def test_v1_models_cannot_represent_the_pkg_body(tmp_path: Path) -> None:
    """Why it is beta: the v1.0 SDK has no macOSPkgApp, so none of its own properties survive."""
    item = pkg_artifact(tmp_path)
    found = check_request(v1_models()["MobileApp"], apps.pkg_body(item, "fleetgate:0123", apps.bundles(item)))
    for name in ("primaryBundleId", "primaryBundleVersion", "includedApps", "minimumSupportedOperatingSystem"):
        assert any(f"$.{name}" in p for p in found), (name, found)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"includedApps": [{"bundleId": "a.b", "bundleVersion": "1", "bundleName": "B"}]}, "bundleName"),
        ({"minimumSupportedOperatingSystem": {"v16_0": True}}, "v16_0"),
        ({"ignoreVersionDetection": "no"}, "$.ignoreVersionDetection"),
        ({"primaryBundleIdentifier": "a.b"}, "$.primaryBundleIdentifier"),
    ],
)
def test_the_contract_check_refuses_what_graph_beta_cannot_represent(change: dict[str, Any], problem: str) -> None:
    body = {"@odata.type": "#microsoft.graph.macOSPkgApp", "displayName": "App 1", **change}
    found = check_request(_beta_models()["MobileApp"], body)
    assert any(problem in p for p in found), found
