"""Contract: the Intune connector's requests and the Intune simulator's responses against the
models of the Microsoft Graph SDK for Python.

API version: Microsoft Graph **v1.0**, and beta for the one beta read (group device members with
extensionAttributes). Reference: the v1.0 metadata as generated into msgraph-sdk 1.65.0 and the
beta metadata as generated into msgraph-beta-sdk 1.66.0 (kiota models, `msgraph.generated.models`
and the request-body models of the `deviceAppManagement` / `deviceManagement.reports` builders),
with Microsoft Learn's Graph v1.0 pages for win32LobApp, mobileAppContentFile (commit,
renewUpload), mobileApp: assign and deviceManagementReports:
retrieveDeviceAppInstallationStatusReport. Checked 2026-12-02.

Every simulator response the connector reads parses into its SDK model with nothing left over
(`additional_data` empty at every level: no property Graph v1.0 lacks, no simulator field), and
every Graph request body the connector sends parses into its SDK model with nothing left over and
serialises back to the same body, field for field — an unknown or beta-only property, an
invalid enum value or a missing `@odata.type` of a derived type fails. The SDK is imported inside
the tests only (it is large).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from fleetgate.connectors.base import ConnectorConfig, Runtime
from fleetgate.connectors.breaker import CircuitBreaker
from fleetgate.connectors.intune import IntuneConnector
from fleetsim.planes import connection
from fleetsim.server import SimApp
from tests.fixtures.connectors.support import CANARY, INTENT, FakeClock, Sleeps, artifact, serving

DAY = 86400.0
FLAGS = {"allowedArchitectures", "applicableArchitectures"}  # kiota parses flags enums but cannot write them back


class Recording(httpx.BaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        self.exchanges.append((request, response))
        return response


def recording_connector(sim: SimApp) -> tuple[IntuneConnector, Recording]:
    conn, clock, transport = connection(sim), FakeClock(), Recording()
    runtime = Runtime(sleep=Sleeps(), clock=clock, breaker=CircuitBreaker(clock=clock), transport=transport)
    config = ConnectorConfig(
        kind="intune", base_url=conn["base_url"], settings=conn["settings"], secrets=conn["secrets"], page_size=10
    )
    return IntuneConnector(config, runtime), transport


def _models() -> dict[str, Any]:
    from msgraph.generated.device_app_management.mobile_apps.item.assign.assign_post_request_body import (
        AssignPostRequestBody,
    )
    from msgraph.generated.device_app_management.mobile_apps.item.graph_win32_lob_app.content_versions.item.files.item.commit.commit_post_request_body import (  # noqa: E501
        CommitPostRequestBody,
    )
    from msgraph.generated.device_management.reports.retrieve_device_app_installation_status_report.retrieve_device_app_installation_status_report_post_request_body import (  # noqa: E501
        RetrieveDeviceAppInstallationStatusReportPostRequestBody,
    )
    from msgraph.generated.models.device_collection_response import DeviceCollectionResponse
    from msgraph.generated.models.group_collection_response import GroupCollectionResponse
    from msgraph.generated.models.managed_device_collection_response import ManagedDeviceCollectionResponse
    from msgraph.generated.models.mobile_app import MobileApp
    from msgraph.generated.models.mobile_app_assignment_collection_response import (
        MobileAppAssignmentCollectionResponse,
    )
    from msgraph.generated.models.mobile_app_collection_response import MobileAppCollectionResponse
    from msgraph.generated.models.mobile_app_content import MobileAppContent
    from msgraph.generated.models.mobile_app_content_file import MobileAppContentFile
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError
    from msgraph_beta.generated.models.device_collection_response import (
        DeviceCollectionResponse as BetaDeviceCollectionResponse,
    )
    from msgraph_beta.generated.models.mobile_app_collection_response import (
        MobileAppCollectionResponse as BetaMobileAppCollectionResponse,
    )

    return {
        "AssignPostRequestBody": AssignPostRequestBody,
        "CommitPostRequestBody": CommitPostRequestBody,
        "RetrieveDeviceAppInstallationStatusReportPostRequestBody": RetrieveDeviceAppInstallationStatusReportPostRequestBody,  # noqa: E501
        "DeviceCollectionResponse": DeviceCollectionResponse,
        "GroupCollectionResponse": GroupCollectionResponse,
        "ManagedDeviceCollectionResponse": ManagedDeviceCollectionResponse,
        "MobileApp": MobileApp,
        "MobileAppAssignmentCollectionResponse": MobileAppAssignmentCollectionResponse,
        "MobileAppCollectionResponse": MobileAppCollectionResponse,
        "MobileAppContent": MobileAppContent,
        "MobileAppContentFile": MobileAppContentFile,
        "ODataError": ODataError,
        "BetaDeviceCollectionResponse": BetaDeviceCollectionResponse,
        "BetaMobileAppCollectionResponse": BetaMobileAppCollectionResponse,
    }


APP = r"/v1\.0/deviceAppManagement/mobileApps"
FILES = APP + r"/[^/]+/microsoft\.graph\.win32LobApp/contentVersions/[^/]+/files"
# (method, path) -> (request body model, response model); None: no JSON body that way
ROUTES: list[tuple[str, str, str | None, str | None]] = [
    ("POST", APP, "MobileApp", "MobileApp"),
    ("GET", APP, None, "MobileAppCollectionResponse"),
    ("PATCH", APP + r"/[^/]+", "MobileApp", None),
    ("POST", APP + r"/[^/]+/microsoft\.graph\.win32LobApp/contentVersions", "MobileAppContent", "MobileAppContent"),
    ("POST", FILES, "MobileAppContentFile", "MobileAppContentFile"),
    ("GET", FILES + r"/[^/]+", None, "MobileAppContentFile"),
    ("POST", FILES + r"/[^/]+/commit", "CommitPostRequestBody", None),
    ("POST", FILES + r"/[^/]+/renewUpload", None, None),
    ("POST", APP + r"/[^/]+/assign", "AssignPostRequestBody", None),
    ("GET", APP + r"/[^/]+/assignments", None, "MobileAppAssignmentCollectionResponse"),
    ("GET", r"/v1\.0/groups", None, "GroupCollectionResponse"),
    ("GET", r"/beta/groups/[^/]+/members/microsoft\.graph\.device", None, "BetaDeviceCollectionResponse"),
    # inventory's read of the macOSPkgApps (beta only; none in this Win32 rollout: an empty page)
    ("GET", r"/beta/deviceAppManagement/mobileApps", None, "BetaMobileAppCollectionResponse"),
    ("GET", r"/v1\.0/deviceManagement/managedDevices", None, "ManagedDeviceCollectionResponse"),
    (
        "POST",
        r"/v1\.0/deviceManagement/reports/retrieveDeviceAppInstallationStatusReport",
        "RetrieveDeviceAppInstallationStatusReportPostRequestBody",
        None,  # a report table (Edm.Stream): checked against its documented shape below
    ),
]


def parse(model: Any, data: Any) -> Any:
    from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory

    node = JsonParseNodeFactory().get_root_parse_node("application/json", json.dumps(data).encode())
    return node.get_object_value(model)


def serialise(obj: Any) -> Any:
    from kiota_serialization_json.json_serialization_writer_factory import JsonSerializationWriterFactory

    writer = JsonSerializationWriterFactory().get_serialization_writer("application/json")
    writer.write_object_value(None, obj)
    return json.loads(writer.get_serialized_content())


def leftovers(obj: Any, path: str = "$", allowed: frozenset[str] = frozenset({"@odata.context"})) -> list[str]:
    """Every property the SDK model did not recognise, at any depth."""
    from kiota_abstractions.serialization import Parsable

    found = [f"{path}.{k}" for k in (getattr(obj, "additional_data", None) or {}) if k not in allowed]
    for name, value in vars(obj).items() if isinstance(obj, Parsable) else ():
        for index, item in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(item, Parsable):
                found += leftovers(item, f"{path}.{name}[{index}]" if isinstance(value, list) else f"{path}.{name}")
    return found


def differences(sent: Any, back: Any, obj: Any, path: str = "$") -> list[str]:
    """Where the SDK's serialisation differs from what the connector sent (flags enums compared parsed)."""
    if isinstance(sent, dict):
        out = []
        for key, value in sent.items():
            if key in FLAGS and isinstance(value, str):
                attr = re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()
                parsed = [v.value for v in getattr(obj, attr, None) or []]
                if parsed != [p.strip() for p in value.split(",")]:
                    out.append(f"{path}.{key}: {value!r} is not a {key} value")
                continue
            if not isinstance(back, dict) or key not in back:
                out.append(f"{path}.{key}: dropped by the SDK model (unknown, invalid or null)")
                continue
            out += differences(value, back[key], _child(obj, key), f"{path}.{key}")
        return out
    if isinstance(sent, list):
        if not isinstance(back, list) or len(back) != len(sent):
            return [f"{path}: collection not kept"]
        kids = obj if isinstance(obj, list) else [None] * len(sent)
        return [
            d
            for i, (s, b) in enumerate(zip(sent, back, strict=True))
            for d in differences(s, b, kids[i], f"{path}[{i}]")
        ]
    return [] if sent == back or _same_instant(sent, back) else [f"{path}: sent {sent!r}, the SDK writes {back!r}"]


def _same_instant(a: Any, b: Any) -> bool:
    """Edm.DateTimeOffset: the SDK writes +00:00 where a client may write Z (the same value)."""
    try:
        return bool(datetime.fromisoformat(str(a).replace("Z", "+00:00")) == datetime.fromisoformat(str(b)))
    except ValueError:
        return False


def _child(obj: Any, key: str) -> Any:
    attr = re.sub(r"(?<!^)(?=[A-Z])", "_", key.removeprefix("@odata.")).lower()
    return getattr(obj, attr, None) if obj is not None else None


def check_request(model: Any, body: Any) -> list[str]:
    obj = parse(model, body)
    return leftovers(obj) + differences(body, serialise(obj), obj)


def route(request: httpx.Request) -> tuple[str | None, str | None] | None:
    for method, pattern, req, resp in ROUTES:
        if request.method == method and re.fullmatch(pattern, request.url.path):
            return req, resp
    return None


def exchanges_of_a_rollout(tmp_path: Path) -> list[tuple[httpx.Request, httpx.Response]]:
    with serving("intune") as srv:
        connector, transport = recording_connector(srv.app)
        app = connector.publish(artifact(tmp_path), "k-publish")
        lab = {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": srv.app.group_id("FG-LAB")}  # type: ignore[attr-defined]
        settings = {
            "@odata.type": "#microsoft.graph.win32LobAppAssignmentSettings",
            "notifications": "showReboot",
            "installTimeSettings": {"useLocalTime": True, "deadlineDateTime": "2026-12-24T18:00:00Z"},
            "restartSettings": {"gracePeriodInMinutes": 60},
        }
        an_admins = {"intent": "available", "target": lab, "settings": settings}
        connector.request(  # an administrator's assignment the connector must send back intact
            "POST",
            f"/v1.0/deviceAppManagement/mobileApps/{app.external_id}/assign",
            json_body={"mobileAppAssignments": [{"@odata.type": "#microsoft.graph.mobileAppAssignment", **an_admins}]},
        )
        connector.assign(app, CANARY, INTENT, "k-assign")
        srv.app.advance(30 * DAY)
        observed = connector.observe(app, CANARY)
        assert observed.total == 30
        assert observed.pending == 0
        connector.inventory(CANARY)
        connector.retire(app, CANARY, "k-retire")
        assert connector.find_published(artifact(tmp_path), "k-publish") is not None
        connector.close()
    return transport.exchanges


@pytest.fixture(scope="module")
def exchanges(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[httpx.Request, httpx.Response]]:
    return exchanges_of_a_rollout(tmp_path_factory.mktemp("intune"))


def test_every_request_and_response_is_a_graph_v1_model(exchanges: list[tuple[httpx.Request, httpx.Response]]) -> None:
    models = _models()
    problems, seen = [], set()
    for request, response in exchanges:
        if request.url.path.endswith("/oauth2/v2.0/token") or request.url.path.startswith("/_blob/"):
            continue  # the identity platform and Azure Storage are not Graph
        found = route(request)
        assert found is not None, f"a connector request no contract covers: {request.method} {request.url.path}"
        req, resp = found
        seen.add((request.method, req, resp))
        where = f"{request.method} {request.url.path}"
        if req is not None:
            problems += [f"{where} request {p}" for p in check_request(models[req], json.loads(request.content))]
        else:
            assert not request.content, f"{where} sends a body its action does not take"
        if response.status_code >= 400:
            problems += [f"{where} error {p}" for p in leftovers(parse(models["ODataError"], response.json()))]
        elif resp is not None:
            problems += [f"{where} response {p}" for p in leftovers(parse(models[resp], response.json()))]
    assert not problems, "\n".join(problems)
    assert len(seen) >= 12, seen  # the whole flow ran: create, upload, commit, assign, report, join


def test_the_report_table_has_the_documented_shape(exchanges: list[tuple[httpx.Request, httpx.Response]]) -> None:
    reports = [
        (q, r)
        for q, r in exchanges
        if r.status_code == 200 and q.url.path.endswith("retrieveDeviceAppInstallationStatusReport")
    ]
    assert reports
    for _request, response in reports:
        body = response.json()
        assert set(body) == {"TotalRowCount", "Schema", "Values", "SessionId"}
        assert all(set(c) == {"Column", "PropertyType"} for c in body["Schema"])
        assert all(len(row) == len(body["Schema"]) for row in body["Values"])


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"displayVersion": "1.0"}, "$.displayVersion"),  # beta only
        ({"installExperience": {"runAsAccount": "root", "deviceRestartBehavior": "suppress"}}, "runAsAccount"),
        ({"rules": [{"ruleType": "detection", "productCode": "{X}"}]}, "$.rules[0]"),  # abstract: no @odata.type
    ],
)
def test_the_contract_check_refuses_what_graph_v1_cannot_represent(change: dict[str, Any], problem: str) -> None:
    models = _models()
    body = {"@odata.type": "#microsoft.graph.win32LobApp", "displayName": "App 1", **change}
    found = check_request(models["MobileApp"], body)
    assert any(problem in p for p in found), found
