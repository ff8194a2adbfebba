"""Configuration Manager AdminService (OData v4 over HTTPS), simulated: the subset the SCCM connector uses.

`/AdminService/wmi/SMS_Site`, `SMS_Identification`, `SMS_Application` (GET with $filter, which
leaves out the lazy SDMPackageXML and PackageID; GET `SMS_Application({CI_ID})` with them; POST with
`SDMPackageXML` only), `SMS_Collection`, `SMS_DistributionPointGroup('{id}')/AdminService.AddPackages`,
`SMS_ApplicationAssignment` (GET/POST/DELETE), `SMS_AppDeploymentAssetDetails` with server-driven
paging (`@odata.nextLink`); each row carries the device's AppStatusType, StatusType and, for an
error, the ErrorCode HRESULT (as SMS_AppDeploymentErrorAssetDetails does). Errors as OData
`{"error": {"code", "message"}}`.

Refused as the SMS Provider refuses them: a read-only property (LocalizedDisplayName, PackageID, ...)
or an unknown one on create; a digest that is not an application digest, or whose authoring scope
is not this site's (`sccm_digest.py`); content the provider cannot read at the deployment type's
UNC Location (`content_share`, stood in for by the local directory `content_dir`); a deployment
of an application whose content is not distributed.

Authentication: Windows integrated authentication, per connection, as IIS does it: 401 with
`WWW-Authenticate: Negotiate` and `NTLM`, a real NTLM handshake (`sccm_auth.py`); Basic refused.
Shapes as in Microsoft Learn's AdminService and SMS Provider WMI class references, checked 2026-12-02.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fleetsim.counters import marker_in
from fleetsim.fleet import Deployment, _guid
from fleetsim.groups import hresult
from fleetsim.sccm_auth import Denied, KeepAliveHandler, WindowsAuth
from fleetsim.sccm_console import SccmConsole
from fleetsim.sccm_digest import DigestError, parse, read_content
from fleetsim.sccm_odata import (
    APP_LAZY,
    APP_READ_ONLY,
    APP_WRITABLE,
    ASSIGNMENT_READ_ONLY,
    ASSIGNMENT_WRITABLE,
    WMI,
    odata_error,
    odata_filter,
    refused_properties,
)
from fleetsim.server import Fault, SimApp, json_response

PAGE = 1000
APP_STATUS = {"installed": 1, "pending": 2, "not_applicable": 3, "failed": 5, "not_installed": 1}


class SccmSim(SccmConsole, SimApp):
    plane = "sccm"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.site = "PS1"
        self.applications: dict[int, dict[str, Any]] = {}
        self.assignments: dict[int, dict[str, Any]] = {}
        self.deployments: dict[int, Deployment] = {}
        self.distributed: set[str] = set()
        self.dp_group = _guid(self.seed, "dpgroup").upper()
        self.site_id = f"{{{_guid(self.seed, 'site').upper()}}}"
        self.scope = f"ScopeId_{self.site_id.strip('{}')}"
        self.domain = "FLEETSIM"
        self.auth = WindowsAuth(self.domain, self.credentials.client_id, self.credentials.client_secret)
        self.request_handler = KeepAliveHandler
        self.handshakes = 0  # 401s answered while authenticating connections (not in `requests`)
        self.content_share = "\\\\sim-cm01.fleetsim.test\\Sources$"
        self.content_dir = Path(tempfile.mkdtemp(prefix="fleetsim-sccm-content-"))  # the share's stand-in
        weakref.finalize(self, shutil.rmtree, self.content_dir, True)
        self.content_sha256: dict[int, str] = {}  # CI_ID -> what the provider read from the source

    @property
    def collections(self) -> dict[str, str]:
        """Collection id -> ring group name, for every group of the fleet (configurable at any time)."""
        return {f"{self.site}{100020 + i:05d}": name for i, name in enumerate(self.fleet.group_names())}

    def rules(self) -> list[Rule]:
        return [
            Rule(f"{WMI}/SMS_Site", methods=["GET"], endpoint="get_site"),
            Rule(f"{WMI}/SMS_Identification", methods=["GET"], endpoint="get_identification"),
            Rule(f"{WMI}/SMS_Application", methods=["GET"], endpoint="list_apps"),
            Rule(f"{WMI}/SMS_Application(<int:ci>)", methods=["GET"], endpoint="get_app"),
            Rule(f"{WMI}/SMS_Application", methods=["POST"], endpoint="create_app"),
            Rule(f"{WMI}/SMS_Collection", methods=["GET"], endpoint="list_collections"),
            Rule(f"{WMI}/SMS_DistributionPointGroup", methods=["GET"], endpoint="list_dp_groups"),
            Rule(
                f"{WMI}/SMS_DistributionPointGroup('<gid>')/AdminService.AddPackages",
                methods=["POST"],
                endpoint="add_packages",
            ),
            Rule(f"{WMI}/SMS_ApplicationAssignment", methods=["GET"], endpoint="list_assignments"),
            Rule(f"{WMI}/SMS_ApplicationAssignment", methods=["POST"], endpoint="create_assignment"),
            Rule(f"{WMI}/SMS_ApplicationAssignment(<int:aid>)", methods=["DELETE"], endpoint="delete_assignment"),
            Rule(f"{WMI}/SMS_AppDeploymentAssetDetails", methods=["GET"], endpoint="asset_details"),
        ]

    def throttled(self, fault: Fault) -> Response:
        return odata_error(429, "Too many requests.", {"Retry-After": str(fault.retry_after)})

    def unavailable(self) -> Response:
        return odata_error(503, "The SMS Provider is not available.")

    def not_found(self, request: Request) -> Response:
        return odata_error(404, f"No HTTP resource was found that matches the request URI '{request.path}'.")

    def method_not_allowed(self, request: Request, allowed: Any) -> Response:
        return odata_error(405, f"The requested resource does not support http method '{request.method}'.")

    def dispatch(self, request: Request) -> Response:
        """IIS authenticates the connection before the AdminService sees the request."""
        if request.path.startswith("/_sim/"):
            return super().dispatch(request)
        try:
            _, reply = self.auth.check(request.environ, request.headers.get("Authorization", ""))
        except Denied as denied:
            with self.lock:
                self.handshakes += 1
            response = odata_error(401, str(denied))
            for challenge in denied.challenges:
                response.headers.add("WWW-Authenticate", challenge)
            return response
        response = super().dispatch(request)
        if reply:
            response.headers["WWW-Authenticate"] = reply
        return response

    def _list(self, request: Request, rows: list[dict[str, Any]], entity: str) -> Response:
        filtered = odata_filter(rows, request.args.get("$filter", ""))
        if filtered is None:
            return odata_error(400, f"The query specified in the URI is not valid: {request.args.get('$filter')}")
        skip = int(request.args.get("$skip", 0) or 0)
        body: dict[str, Any] = {
            "@odata.context": f"{self.base_url}{WMI}/$metadata#{entity}",
            "value": filtered[skip : skip + PAGE],
        }
        if skip + PAGE < len(filtered):
            body["@odata.nextLink"] = self.page_link(request, **{"$skip": skip + PAGE})
        return json_response(body)

    def get_site(self, request: Request) -> Response:
        return json_response(
            {
                "value": [
                    {
                        "SiteCode": self.site,
                        "SiteName": "Primary (simulated)",
                        "Version": "5.00.9132.1000",
                        "BuildNumber": 9132,
                    }
                ]
            }
        )

    def get_identification(self, request: Request) -> Response:
        return json_response(
            {
                "@odata.context": f"{self.base_url}{WMI}/$metadata#SMS_Identification",
                "value": [
                    {"ThisSiteCode": self.site, "ThisSiteID": self.site_id, "ThisSiteName": "Primary (simulated)"}
                ],
            }
        )

    def _public(self, row: dict[str, Any], lazy: bool) -> dict[str, Any]:
        return {k: v for k, v in row.items() if lazy or k not in APP_LAZY}

    def list_apps(self, request: Request) -> Response:
        rows = [self._public(a, False) for ci, a in self.applications.items() if self.visibility.visible(f"app:{ci}")]
        return self._list(request, rows, "SMS_Application")

    def get_app(self, request: Request, ci: int) -> Response:
        row = self.applications.get(ci)
        if row is None or not self.visibility.visible(f"app:{ci}"):
            return odata_error(404, f"SMS_Application({ci}) was not found.")
        context = f"{self.base_url}{WMI}/$metadata#SMS_Application"
        return json_response({"@odata.context": context, "value": [self._public(row, True)]})

    def create_app(self, request: Request) -> Response:
        raw = request.get_json(silent=True)
        if (refused := refused_properties(raw, "SMS_Application", APP_WRITABLE, APP_READ_ONLY)) is not None:
            return refused
        body: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if not isinstance(body.get("SDMPackageXML"), str) or not body["SDMPackageXML"].strip():
            return odata_error(400, "The property 'SDMPackageXML' is required to create an SMS_Application.")
        try:
            digest = parse(body["SDMPackageXML"])
            if digest.scope != self.scope:
                raise DigestError(f"The authoring scope {digest.scope} is not this site's ({self.scope}).")
            sha256 = read_content(self.content_share, self.content_dir, digest)
        except DigestError as exc:
            return odata_error(400, str(exc))
        if self.conflict_armed("POST", request.path) or any(
            a.get("LocalizedDisplayName") == digest.title or a.get("ModelName") == digest.model_name
            for a in self.applications.values()
        ):
            return odata_error(409, f"An application named '{digest.title}' already exists.")
        ci = 16777000 + self.next_id()
        row = {
            "CI_ID": ci,
            "CI_UniqueID": f"{digest.model_name}/1",
            "ModelName": digest.model_name,
            "CIVersion": 1,
            "LocalizedDisplayName": digest.title,
            "LocalizedDescription": digest.description,
            "SoftwareVersion": digest.version,
            "Manufacturer": digest.publisher,
            "PackageID": f"{self.site}{ci % 100000:05d}",
            "CreatedBy": self.auth.principal,
            "HasContent": True,
            "IsDeployed": False,
            "IsLatest": True,
            "IsExpired": False,
            "IsHidden": bool(body.get("IsHidden", False)),
            "NumberOfDeploymentTypes": digest.deployment_types,
            "SDMPackageXML": body["SDMPackageXML"],
        }
        self.applications[ci] = row
        self.content_sha256[ci] = sha256
        self.created(f"app:{ci}", "POST", request.path)
        self.mutation(request, "publish", ci, marker_in(row["LocalizedDescription"]))
        return json_response(self._public(row, False), 201)

    def list_collections(self, request: Request) -> Response:
        rows = [
            {"CollectionID": cid, "Name": name, "CollectionType": 2, "MemberCount": len(self.fleet.devices(name))}
            for cid, name in self.collections.items()
        ]
        return self._list(request, rows, "SMS_Collection")

    def list_dp_groups(self, request: Request) -> Response:
        return self._list(
            request,
            [{"GroupID": f"{{{self.dp_group}}}", "Name": "All Distribution Points", "MemberCount": 3}],
            "SMS_DistributionPointGroup",
        )

    def add_packages(self, request: Request, gid: str) -> Response:
        if gid.strip("{}") != self.dp_group:
            return self.not_found(request)
        body = request.get_json(silent=True) or {}
        ids = body.get("PackageIDs")
        known = {a.get("PackageID") for a in self.applications.values()}
        if not isinstance(ids, list) or not all(i in known for i in ids):
            return odata_error(400, "PackageIDs must list existing content package ids.")
        self.distributed.update(ids)
        for app in self.applications.values():
            if app["PackageID"] in ids:
                self.mutation(request, "distribute", app["PackageID"], marker_in(app.get("LocalizedDescription")))
        return json_response({"@odata.context": f"{self.base_url}{WMI}/$metadata#Edm.Int32", "ReturnValue": 0})

    def list_assignments(self, request: Request) -> Response:
        rows = [a for aid, a in self.assignments.items() if self.visibility.visible(f"asg:{aid}")]
        return self._list(request, rows, "SMS_ApplicationAssignment")

    def create_assignment(self, request: Request) -> Response:
        raw = request.get_json(silent=True)
        entity = "SMS_ApplicationAssignment"
        if (refused := refused_properties(raw, entity, ASSIGNMENT_WRITABLE, ASSIGNMENT_READ_ONLY)) is not None:
            return refused
        body: dict[str, Any] = raw if isinstance(raw, dict) else {}
        for required in (
            "AssignmentName",
            "ApplicationName",
            "AssignedCIs",
            "TargetCollectionID",
            "DesiredConfigType",
            "OfferTypeID",
        ):
            if body.get(required) in (None, "", []):
                return odata_error(400, f"Property '{required}' is required.")
        if body.get("SourceSite", self.site) != self.site:
            return odata_error(400, f"SourceSite {body['SourceSite']} is not this site ({self.site}).")
        collections = self.collections
        if body["TargetCollectionID"] not in collections:
            return odata_error(400, f"Collection {body['TargetCollectionID']} does not exist.")
        apps = [self.applications.get(ci) for ci in body["AssignedCIs"]]
        if not all(apps):
            return odata_error(400, "AssignedCIs references an unknown application.")
        if any(a["PackageID"] not in self.distributed for a in apps if a):
            return odata_error(400, "The application's content is not distributed to any distribution point.")
        if self.conflict_armed("POST", request.path):
            return odata_error(409, "A deployment with this name already exists.")
        aid = 16780000 + self.next_id()
        row = {
            **body,
            "AssignmentID": aid,
            "AssignmentUniqueID": f"{{{_guid(aid).upper()}}}",
            "CollectionName": collections[body["TargetCollectionID"]],
        }
        self.assignments[aid] = row
        action = "uninstall" if body["DesiredConfigType"] == 2 else "install"
        self.deployments[aid] = Deployment(f"sccm-{aid}", row["CollectionName"], action, self.fleet.now())
        for app in apps:
            if app:
                app["IsDeployed"] = True
        self.created(f"asg:{aid}", "POST", request.path)
        self.changed()
        operation = "uninstall" if action == "uninstall" else "assign"
        target = f"{','.join(map(str, body['AssignedCIs']))}/{body['TargetCollectionID']}"
        self.mutation(request, operation, target, marker_in(body.get("AssignmentDescription"), body["AssignmentName"]))
        return json_response(row, 201)

    def delete_assignment(self, request: Request, aid: int) -> Response:
        removed = self.assignments.pop(aid, None)
        if removed is None:
            return self.not_found(request)
        self.mutation(request, "delete", aid, marker_in(removed.get("AssignmentDescription")))
        self.deployments.pop(aid, None)
        self.changed()
        return Response(status=204)

    def _details(self, aid: int) -> list[dict[str, Any]]:
        deployment = self.deployments.get(aid)
        assignment = self.assignments.get(aid)
        if deployment is None or assignment is None:
            return []
        rows = []
        for device in self.fleet.devices(deployment.group):
            state = self.fleet.state(deployment, device)
            status = 4 if state == "pending" and device.site_class == "air_gapped" else APP_STATUS[state]
            rows.append(
                {
                    "AssignmentID": aid,
                    "AppName": assignment["ApplicationName"],
                    "MachineName": device.name,
                    "MachineID": 16800000 + device.index,
                    "CollectionID": assignment["TargetCollectionID"],
                    "AppStatusType": status,
                    "StatusType": status,
                    "ErrorCode": hresult(self.fleet.error_code(deployment, device)) if state == "failed" else 0,
                    "EnforcementState": 1000
                    if state in ("installed", "not_installed")
                    else 5000
                    if state == "failed"
                    else 2000,
                }
            )
        return rows

    def asset_details(self, request: Request) -> Response:
        m = re.search(r"AssignmentID eq (\d+)", request.args.get("$filter", ""))
        if not m:
            return odata_error(400, "SMS_AppDeploymentAssetDetails needs $filter=AssignmentID eq <id>.")
        aid = int(m.group(1))
        rows = self.cached(("details", aid), lambda: self._details(aid))
        skip = int(request.args.get("$skip", 0) or 0)
        body: dict[str, Any] = {
            "@odata.context": f"{self.base_url}{WMI}/$metadata#SMS_AppDeploymentAssetDetails",
            "value": rows[skip : skip + PAGE],
        }
        if skip + PAGE < len(rows):
            body["@odata.nextLink"] = self.page_link(request, **{"$skip": skip + PAGE})
        return json_response(body)

    def state(self) -> dict[str, Any]:
        return {"applications": len(self.applications), "assignments": len(self.assignments)}
