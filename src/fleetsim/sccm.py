"""Configuration Manager AdminService (OData v4 over HTTPS), simulated: the subset the SCCM connector uses.

`/AdminService/wmi/SMS_Site`, `SMS_Application` (GET with $filter, POST), `SMS_Collection`,
`SMS_DistributionPointGroup('{id}')/AdminService.AddPackages`, `SMS_ApplicationAssignment`
(GET/POST/DELETE), `SMS_AppDeploymentAssetDetails` with server-driven paging
(`@odata.nextLink`); each row carries the device's AppStatusType, StatusType and, for an error,
the ErrorCode HRESULT (as SMS_AppDeploymentErrorAssetDetails does). Errors as OData
`{"error": {"code", "message"}}`. Authentication: HTTP Basic
stands in for Windows integrated authentication (see the connector's docstring).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fleetsim.counters import marker_in
from fleetsim.fleet import Deployment, _guid
from fleetsim.groups import hresult
from fleetsim.server import Fault, SimApp, json_response

WMI = "/AdminService/wmi"
PAGE = 1000
APP_STATUS = {"installed": 1, "pending": 2, "not_applicable": 3, "failed": 5, "not_installed": 1}


def odata_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response({"error": {"code": str(status), "message": message}}, status, headers)


def odata_filter(rows: list[dict[str, Any]], expression: str) -> list[dict[str, Any]] | None:
    """`A eq 'x'`, `A eq 12`, `contains(A,'x')` joined by `and`; None when unsupported."""
    if not expression:
        return rows
    tests: list[Callable[[dict[str, Any]], bool]] = []
    for clause in re.split(r"\s+and\s+", expression.strip()):
        if text := re.fullmatch(r"(\w+) eq '(.*)'", clause):
            tests.append(_test(text.group(1), text.group(2), lambda got, want: str(got) == want))
        elif number := re.fullmatch(r"(\w+) eq (-?\d+)", clause):
            tests.append(_test(number.group(1), int(number.group(2)), lambda got, want: got == want))
        elif contains := re.fullmatch(r"contains\((\w+),\s*'(.*)'\)", clause):
            tests.append(_test(contains.group(1), contains.group(2), lambda got, want: want in str(got or "")))
        else:
            return None
    return [r for r in rows if all(t(r) for t in tests)]


def _test(key: str, want: Any, compare: Callable[[Any, Any], bool]) -> Callable[[dict[str, Any]], bool]:
    return lambda row: compare(row.get(key), want)


class SccmSim(SimApp):
    plane = "sccm"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.site = "PS1"
        self.applications: dict[int, dict[str, Any]] = {}
        self.assignments: dict[int, dict[str, Any]] = {}
        self.deployments: dict[int, Deployment] = {}
        self.distributed: set[str] = set()
        self.dp_group = _guid(self.seed, "dpgroup").upper()

    @property
    def collections(self) -> dict[str, str]:
        """Collection id -> ring group name, for every group of the fleet (configurable at any time)."""
        return {f"{self.site}{100020 + i:05d}": name for i, name in enumerate(self.fleet.group_names())}

    def rules(self) -> list[Rule]:
        return [
            Rule(f"{WMI}/SMS_Site", methods=["GET"], endpoint="get_site"),
            Rule(f"{WMI}/SMS_Application", methods=["GET"], endpoint="list_apps"),
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

    def _auth(self, request: Request) -> Response | None:
        header = request.headers.get("Authorization", "")
        expected = base64.b64encode(f"{self.credentials.client_id}:{self.credentials.client_secret}".encode()).decode()
        if header == f"Basic {expected}":
            return None
        response = odata_error(401, "Authorization has been denied for this request.")
        response.headers["WWW-Authenticate"] = 'Negotiate, NTLM, Basic realm="AdminService"'
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
        return self._auth(request) or json_response(
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

    def list_apps(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        rows = [a for ci, a in self.applications.items() if self.visibility.visible(f"app:{ci}")]
        return self._list(request, rows, "SMS_Application")

    def create_app(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        body = request.get_json(silent=True) or {}
        for required in ("LocalizedDisplayName", "SoftwareVersion", "SDMPackageXML"):
            if not body.get(required):
                return odata_error(400, f"Property '{required}' is required.")
        if "<AppMgmtDigest" not in body["SDMPackageXML"]:
            return odata_error(400, "SDMPackageXML is not a valid application digest.")
        if self.conflict_armed("POST", request.path) or any(
            a["LocalizedDisplayName"] == body["LocalizedDisplayName"] for a in self.applications.values()
        ):
            return odata_error(409, f"An application named '{body['LocalizedDisplayName']}' already exists.")
        ci = 16777000 + self.next_id()
        row = {
            "CI_ID": ci,
            "CI_UniqueID": f"ScopeId_{_guid(self.seed, 'scope')}/Application_{_guid(ci)}/1",
            "ModelName": f"ScopeId_{_guid(self.seed, 'scope')}/Application_{_guid(ci)}",
            "LocalizedDisplayName": body["LocalizedDisplayName"],
            "LocalizedDescription": body.get("LocalizedDescription", ""),
            "SoftwareVersion": body["SoftwareVersion"],
            "Manufacturer": body.get("Manufacturer", ""),
            "PackageID": f"{self.site}{ci % 100000:05d}",
            "IsDeployed": False,
            "IsLatest": True,
            "IsExpired": False,
            "NumberOfDeploymentTypes": 1,
        }
        self.applications[ci] = row
        self.created(f"app:{ci}", "POST", request.path)
        self.mutation(request, "publish", ci, marker_in(row["LocalizedDescription"]))
        return json_response(row, 201)

    def list_collections(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        rows = [
            {"CollectionID": cid, "Name": name, "CollectionType": 2, "MemberCount": len(self.fleet.devices(name))}
            for cid, name in self.collections.items()
        ]
        return self._list(request, rows, "SMS_Collection")

    def list_dp_groups(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        return self._list(
            request,
            [{"GroupID": f"{{{self.dp_group}}}", "Name": "All Distribution Points", "MemberCount": 3}],
            "SMS_DistributionPointGroup",
        )

    def add_packages(self, request: Request, gid: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if gid.strip("{}") != self.dp_group:
            return self.not_found(request)
        body = request.get_json(silent=True) or {}
        ids = body.get("PackageIDs")
        known = {a["PackageID"] for a in self.applications.values()}
        if not isinstance(ids, list) or not all(i in known for i in ids):
            return odata_error(400, "PackageIDs must list existing content package ids.")
        self.distributed.update(ids)
        for app in self.applications.values():
            if app["PackageID"] in ids:
                self.mutation(request, "distribute", app["PackageID"], marker_in(app["LocalizedDescription"]))
        return json_response({"@odata.context": f"{self.base_url}{WMI}/$metadata#Edm.Int32", "ReturnValue": 0})

    def list_assignments(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        rows = [a for aid, a in self.assignments.items() if self.visibility.visible(f"asg:{aid}")]
        return self._list(request, rows, "SMS_ApplicationAssignment")

    def create_assignment(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        body = request.get_json(silent=True) or {}
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
        if (denied := self._auth(request)) is not None:
            return denied
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
        if (denied := self._auth(request)) is not None:
            return denied
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

    # ---- console --------------------------------------------------------------------------

    def _console_row(self, aid: int) -> dict[str, Any]:
        row = self.assignments[aid]
        name, _, version = str(row["ApplicationName"]).rpartition(" ")
        intent = "uninstall" if row["DesiredConfigType"] == 2 else "available" if row["OfferTypeID"] == 2 else "install"
        return {"id": str(aid), "name": name, "version": version, "intent": intent, "group": row["CollectionName"]}

    def console_assignments(self) -> list[dict[str, Any]]:
        return [self._console_row(aid) for aid in self.assignments]

    def _aid(self, aid: str) -> int:
        if not aid.isdigit() or int(aid) not in self.assignments:
            raise KeyError(aid)
        return int(aid)

    def _apply(self, aid: int, changes: dict[str, Any]) -> None:
        row = self.assignments[aid]
        if "version" in changes:
            name = str(row["ApplicationName"]).rpartition(" ")[0]
            row["ApplicationName"] = f"{name} {changes['version']}"
        if "intent" in changes:
            row["DesiredConfigType"] = 2 if changes["intent"] == "uninstall" else 1
            row["OfferTypeID"] = 2 if changes["intent"] == "available" else 0
        if "group" in changes:
            cid = next((c for c, n in self.collections.items() if n == changes["group"]), None)
            if cid is None:
                raise ValueError(f"no collection for group {changes['group']!r}")
            row["TargetCollectionID"], row["CollectionName"] = cid, changes["group"]
        action = "uninstall" if row["DesiredConfigType"] == 2 else "install"
        self.deployments[aid] = Deployment(f"sccm-{aid}-console", row["CollectionName"], action, self.fleet.now())

    def console_change(self, aid: str, changes: dict[str, Any]) -> dict[str, Any]:
        key = self._aid(aid)
        self._apply(key, changes)
        return self._console_row(key)

    def console_delete(self, aid: str) -> None:
        key = self._aid(aid)
        self.assignments.pop(key)
        self.deployments.pop(key, None)

    def console_copy(self, aid: str, changes: dict[str, Any]) -> dict[str, Any]:
        source = self.assignments[self._aid(aid)]
        new = 16780000 + self.next_id()
        self.assignments[new] = {
            **source,
            "AssignmentID": new,
            "AssignmentName": f"{source['AssignmentName']} (copy)",
            "AssignmentDescription": "created in the console",
        }
        self._apply(new, changes)
        return self._console_row(new)
