"""Intune's reports API, managed devices and Entra groups, simulated (a mixin of `IntuneSim`).

`POST /v1.0/deviceManagement/reports/retrieveDeviceAppInstallationStatusReport` answers the report
table {"TotalRowCount", "Schema", "Values", "SessionId"} for `(ApplicationId eq '<id>')`, paged
with skip/top (at most 1000 rows a page). A device has a row only once it has checked in and
reported (the fleet model's report time): before that the service has no status for it. The
report's `DeviceId` is the Intune managed-device id; `GET /deviceManagement/managedDevices` maps
it to `azureADDeviceId`, the Entra `deviceId` of the group members.
"""

from __future__ import annotations

import json
import re
from typing import Any

from werkzeug.wrappers import Request, Response

from fleetsim.fleet import Deployment, Device, _guid
from fleetsim.groups import hresult
from fleetsim.intune_schema import graph_error, wall
from fleetsim.server import SimApp, json_response

REPORT_BODY = {"name", "select", "search", "groupBy", "orderBy", "skip", "top", "sessionId", "filter"}
COLUMNS = {
    "DeviceId": "String",
    "DeviceName": "String",
    "UserPrincipalName": "String",
    "Platform": "String",
    "AppVersion": "String",
    "AppInstallState": "String",
    "AppInstallStateDetails": "String",
    "ErrorCode": "Int32",
    "HexErrorCode": "String",
    "LastModifiedDateTime": "DateTime",
}
STATE_VALUES = {
    "installed": "Installed",
    "failed": "Failed",
    "not_applicable": "NotApplicable",
    "not_installed": "NotInstalled",
}
REPORT_TOP = 1000
MANAGED_DEVICE = ("id", "azureADDeviceId", "deviceName", "operatingSystem", "osVersion", "lastSyncDateTime")


class IntuneReports(SimApp):
    deployments: dict[tuple[str, str], Deployment]

    @property
    def groups(self) -> dict[str, str]:
        raise NotImplementedError

    def _auth(self, request: Request) -> Response | None:
        raise NotImplementedError

    def managed_id(self, device: Device) -> str:
        return _guid(self.seed, "managedDevice", device.id)

    def _rows(self, app_id: str) -> list[dict[str, Any]]:
        rows, groups = [], self.groups
        app = getattr(self, "apps", {}).get(app_id, {})
        platform = "macOS" if app.get("@odata.type") == "#microsoft.graph.macOSPkgApp" else "Windows"
        for (aid, group_id), deployment in self.deployments.items():
            if aid != app_id or group_id not in groups:
                continue
            for device in self.fleet.devices(groups[group_id]):
                state = self.fleet.state(deployment, device)
                if state == "pending":
                    continue  # no row until the device has checked in and reported
                value = STATE_VALUES[state]
                if state == "failed" and deployment.action == "uninstall":
                    value = "UninstallFailed"
                code = hresult(self.fleet.error_code(deployment, device)) if state == "failed" else 0
                rows.append(
                    {
                        "DeviceId": self.managed_id(device),
                        "DeviceName": device.name,
                        "UserPrincipalName": f"{device.name.lower()}@contoso.example",
                        "Platform": platform,  # the report's column, as the app's platform names it
                        "AppVersion": "",
                        "AppInstallState": value,
                        "AppInstallStateDetails": "",
                        "ErrorCode": code,  # a signed Int32 HRESULT, as the report types it
                        "HexErrorCode": f"0x{code & 0xFFFFFFFF:08X}" if code else "",
                        "LastModifiedDateTime": wall(self.fleet, self.fleet.reported_at(deployment, device)),
                    }
                )
        return sorted(rows, key=lambda r: (r["DeviceName"], r["DeviceId"]))

    def app_install_report(self, request: Request, version: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return graph_error(400, "BadRequest", "Empty or malformed payload.")
        unknown = sorted(set(body) - REPORT_BODY)
        if unknown:
            return graph_error(400, "BadRequest", f"The parameter '{unknown[0]}' is not in scope.")
        match = re.fullmatch(r"\(ApplicationId eq '([0-9a-f-]+)'\)", str(body.get("filter") or ""))
        if match is None:
            return graph_error(400, "BadRequest", "The report needs a filter (ApplicationId eq '<app id>').")
        select = body.get("select") or list(COLUMNS)
        if not isinstance(select, list) or any(c not in COLUMNS for c in select):
            return graph_error(400, "BadRequest", f"Invalid select columns: {select!r}.")
        skip, top = body.get("skip", 0), body.get("top", 50)
        if not isinstance(skip, int) or not isinstance(top, int) or skip < 0 or top < 1:
            return graph_error(400, "BadRequest", "skip and top are whole numbers (top at least 1).")
        rows = self.cached(("report", match.group(1)), lambda: self._rows(match.group(1)))
        page = rows[skip : skip + min(top, REPORT_TOP)]
        return json_response(
            {
                "TotalRowCount": len(rows),
                "Schema": [{"Column": c, "PropertyType": COLUMNS[c]} for c in select],
                "Values": [[r[c] for c in select] for r in page],
                "SessionId": "",
            }
        )

    def managed_devices(self, request: Request, version: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        select = [s for s in request.args.get("$select", "").split(",") if s] or list(MANAGED_DEVICE)
        if any(s not in MANAGED_DEVICE for s in select):
            return graph_error(
                400,
                "BadRequest",
                f"Could not find a property named '{select[0]}' on type 'microsoft.graph.managedDevice'.",
            )

        def build() -> list[dict[str, Any]]:
            out = []
            for name in self.fleet.group_names():
                for d in self.fleet.devices(name):
                    row = {
                        "id": self.managed_id(d),
                        "azureADDeviceId": d.id,
                        "deviceName": d.name,
                        "operatingSystem": "Windows",
                        "osVersion": "10.0.22631.4602",
                        "lastSyncDateTime": wall(self.fleet),
                    }
                    out.append({k: row[k] for k in select})
            return out

        return self._page(request, self.cached(("managed", tuple(select)), build, ttl=3600), 100)

    def _page(self, request: Request, items: list[dict[str, Any]], default_top: int = 100) -> Response:
        raise NotImplementedError

    # ---- groups -------------------------------------------------------------------------

    def list_groups(self, request: Request, version: str) -> Response:
        """`$filter` displayName eq / startswith(displayName,'x') (any case, as Entra compares), `$select`,
        and `$orderby=displayName`, which with a filter is an advanced query: it needs the header
        `ConsistencyLevel: eventual` and `$count=true` (400 Request_UnsupportedQuery otherwise)."""
        if (denied := self._auth(request)) is not None:
            return denied
        flt, order = request.args.get("$filter", ""), request.args.get("$orderby", "")
        items = [{"id": gid, "displayName": name, "securityEnabled": True} for gid, name in self.groups.items()]
        if m := re.fullmatch(r"displayName eq '(.*)'", flt):
            items = [g for g in items if g["displayName"] == m.group(1).replace("''", "'")]
        elif m := re.fullmatch(r"startswith\(displayName,\s*'(.*)'\)", flt):
            prefix = m.group(1).replace("''", "'").lower()
            items = [g for g in items if str(g["displayName"]).lower().startswith(prefix)]
        elif flt:
            return graph_error(400, "Request_UnsupportedQuery", f"Unsupported or invalid query filter clause: {flt}")
        advanced = request.headers.get("ConsistencyLevel") == "eventual" and request.args.get("$count") == "true"
        if order and order not in ("displayName", "displayName asc"):
            return graph_error(400, "Request_UnsupportedQuery", f"Unsupported sort property '{order}'.")
        if order and flt and not advanced:
            return graph_error(400, "Request_UnsupportedQuery", "Sorting not supported for current query.")
        if order:
            items.sort(key=lambda g: str(g["displayName"]).lower())
        select = [s for s in request.args.get("$select", "").split(",") if s]
        unknown = [s for s in select if s not in ("id", "displayName", "securityEnabled")]
        if unknown:
            message = f"Could not find a property named '{unknown[0]}' on type 'microsoft.graph.group'."
            return graph_error(400, "Request_BadRequest", message)
        if select:
            items = [{k: v for k, v in g.items() if k in select} for g in items]
        response = self._page(request, items)
        if request.args.get("$count") == "true":
            body = json.loads(response.get_data())
            response.set_data(json.dumps({"@odata.count": len(items), **body}))
        return response

    def members(self, request: Request, version: str, group_id: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        groups = self.groups
        if group_id not in groups:
            return self.not_found(request)
        select = [s for s in request.args.get("$select", "").split(",") if s]
        if version != "beta" and "extensionAttributes" in select:
            return graph_error(
                400,
                "Request_BadRequest",
                "Could not find a property named 'extensionAttributes' on type 'microsoft.graph.device'.",
            )
        items = self.cached(
            ("members", group_id),
            lambda: [
                {
                    "@odata.type": "#microsoft.graph.device",
                    "id": _guid(self.seed, "entra-object", d.id),  # the directory object id
                    "deviceId": d.id,  # the Entra device id (= managedDevice.azureADDeviceId)
                    "displayName": d.name,
                    # the site class as an Entra device extension attribute (set by the tenant's tooling)
                    "extensionAttributes": {"extensionAttribute1": d.site_class},
                }
                for d in self.fleet.devices(groups[group_id])
            ],
            ttl=3600,
        )
        if version != "beta":  # onPremisesExtensionAttributes of a device are in beta only
            items = [{k: v for k, v in d.items() if k != "extensionAttributes"} for d in items]
        return self._page(request, items)

    def members_count(self, request: Request, version: str, group_id: str) -> Response:
        """`/$count` needs `ConsistencyLevel: eventual` (an advanced query) and answers text/plain."""
        if (denied := self._auth(request)) is not None:
            return denied
        groups = self.groups
        if group_id not in groups:
            return self.not_found(request)
        if request.headers.get("ConsistencyLevel", "").lower() != "eventual":
            return graph_error(
                400, "Request_BadRequest", "Count is not currently supported without ConsistencyLevel: eventual."
            )
        return Response(str(len(self.fleet.devices(groups[group_id]))), mimetype="text/plain")
