"""Microsoft Intune through Microsoft Graph, simulated: the subset the Intune connector uses.

Identity platform v2.0 client credentials (`POST /{tenant}/oauth2/v2.0/token`), Graph v1.0
`deviceAppManagement/mobileApps` (win32LobApp / macOSPkgApp), the content upload flow
(contentVersions → files → Azure block-blob upload → commit), `/assign`, `/assignments`, group
device members, and the beta `deviceStatuses` / `installSummary` reads; `@odata.nextLink` paging,
429 with Retry-After, and Graph's error body `{"error": {"code", "message", "innerError"}}`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fleetsim.counters import marker_in
from fleetsim.fleet import Deployment, _guid
from fleetsim.groups import hresult
from fleetsim.intune_content import IntuneContent, graph_error
from fleetsim.server import Fault, json_response

APPS = "/<version>/deviceAppManagement/mobileApps"
SUPPORTED_TYPES = {"#microsoft.graph.win32LobApp", "#microsoft.graph.macOSPkgApp", "#microsoft.graph.windowsMobileMSI"}
WIN32_REQUIRED = ("displayName", "publisher", "fileName", "installCommandLine", "uninstallCommandLine", "rules")
STATE_VALUES = {
    "installed": "installed",
    "failed": "failed",
    "not_applicable": "notApplicable",
    "not_installed": "notInstalled",
}
MAX_TOP = 999


EPOCH = datetime(2026, 1, 1, tzinfo=UTC)  # simulated time 0 as the plane's wall clock
__all__ = ["IntuneSim", "graph_error"]


class IntuneSim(IntuneContent):
    plane = "intune"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tenant = _guid(self.seed, "tenant")
        self.apps: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.assignments: dict[str, list[dict[str, Any]]] = {}
        self.deployments: dict[tuple[str, str], Deployment] = {}
        self.blocks: dict[str, int] = {}

    @property
    def groups(self) -> dict[str, str]:
        """Entra group id -> ring group name, for every group of the fleet (configurable at any time)."""
        return {_guid(self.seed, "group", name): name for name in self.fleet.group_names()}

    def group_id(self, name: str) -> str:
        return next(gid for gid, n in self.groups.items() if n == name)

    def rules(self) -> list[Rule]:
        return [
            Rule("/<tenant>/oauth2/v2.0/token", methods=["POST"], endpoint="token"),
            Rule(APPS, methods=["GET"], endpoint="list_apps"),
            Rule(APPS, methods=["POST"], endpoint="create_app"),
            Rule(f"{APPS}/<app_id>", methods=["GET"], endpoint="get_app"),
            Rule(f"{APPS}/<app_id>", methods=["PATCH"], endpoint="patch_app"),
            Rule(f"{APPS}/<app_id>/<cast>/contentVersions", methods=["POST"], endpoint="create_content_version"),
            Rule(f"{APPS}/<app_id>/<cast>/contentVersions/<cv>/files", methods=["POST"], endpoint="create_file"),
            Rule(f"{APPS}/<app_id>/<cast>/contentVersions/<cv>/files/<file_id>", methods=["GET"], endpoint="get_file"),
            Rule(
                f"{APPS}/<app_id>/<cast>/contentVersions/<cv>/files/<file_id>/commit",
                methods=["POST"],
                endpoint="commit_file",
            ),
            Rule(f"{APPS}/<app_id>/assign", methods=["POST"], endpoint="assign"),
            Rule(f"{APPS}/<app_id>/assignments", methods=["GET"], endpoint="list_assignments"),
            Rule(f"{APPS}/<app_id>/deviceStatuses", methods=["GET"], endpoint="device_statuses"),
            Rule(f"{APPS}/<app_id>/installSummary", methods=["GET"], endpoint="install_summary"),
            Rule("/<version>/groups", methods=["GET"], endpoint="list_groups"),
            Rule("/<version>/groups/<group_id>/members/microsoft.graph.device", methods=["GET"], endpoint="members"),
            Rule(
                "/<version>/groups/<group_id>/members/microsoft.graph.device/$count",
                methods=["GET"],
                endpoint="members_count",
            ),
            Rule("/_blob/<file_id>", methods=["PUT"], endpoint="blob_put"),
        ]

    # ---- errors -------------------------------------------------------------------------

    def throttled(self, fault: Fault) -> Response:
        return graph_error(
            429,
            "TooManyRequests",
            "Too many requests from this application; retry after the given delay.",
            {"Retry-After": str(fault.retry_after)},
        )

    def unavailable(self) -> Response:
        return graph_error(503, "ServiceUnavailable", "The service is temporarily unavailable.")

    def not_found(self, request: Request) -> Response:
        return graph_error(404, "ResourceNotFound", f"Resource not found for the segment '{request.path}'.")

    def _auth(self, request: Request) -> Response | None:
        if not self.bearer_ok(request):
            return graph_error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        return None

    def _version(self, version: str) -> Response | None:
        return None if version in ("v1.0", "beta") else graph_error(400, "BadRequest", f"Invalid version: {version}")

    # ---- identity platform --------------------------------------------------------------

    def token(self, request: Request, tenant: str) -> Response:
        form = request.form
        if tenant not in (self.tenant, "organizations"):
            return json_response(
                {"error": "invalid_request", "error_description": f"AADSTS90002: Tenant '{tenant}' not found."}, 400
            )
        if form.get("grant_type") != "client_credentials":
            return json_response({"error": "unsupported_grant_type", "error_description": "AADSTS70003"}, 400)
        if form.get("scope") != "https://graph.microsoft.com/.default":
            return json_response(
                {
                    "error": "invalid_scope",
                    "error_description": "AADSTS1002012: The provided value for scope is invalid.",
                },
                400,
            )
        if form.get("client_id") != self.credentials.client_id:
            return json_response(
                {"error": "unauthorized_client", "error_description": "AADSTS700016: Application not found."}, 400
            )
        if form.get("client_secret") != self.credentials.client_secret:
            return json_response(
                {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."},
                401,
            )
        return json_response(
            {
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "ext_expires_in": self.token_lifetime,
                "access_token": self.issue_token(),
            }
        )

    # ---- mobile apps --------------------------------------------------------------------

    def _page(self, request: Request, items: list[dict[str, Any]], default_top: int = 100) -> Response:
        try:
            top = min(int(request.args.get("$top", default_top)), MAX_TOP)
            skip = int(request.args.get("$skiptoken", "0") or 0)
        except ValueError:
            return graph_error(400, "BadRequest", "Invalid $top or $skiptoken.")
        page = items[skip : skip + top]
        body: dict[str, Any] = {"@odata.context": f"{self.base_url}/$metadata", "value": page}
        if skip + top < len(items):
            body["@odata.nextLink"] = self.page_link(request, **{"$skiptoken": skip + top, "$top": top})
        return json_response(body)

    def list_apps(self, request: Request, version: str) -> Response:
        if (denied := self._auth(request) or self._version(version)) is not None:
            return denied
        items = [a for k, a in self.apps.items() if self.visibility.visible(k)]
        flt = request.args.get("$filter", "")
        if m := re.fullmatch(r"displayName eq '(.*)'", flt):
            items = [a for a in items if a["displayName"] == m.group(1)]
        elif flt:
            return graph_error(400, "BadRequest", f"Unsupported $filter: {flt}")
        if request.args.get("$expand") == "assignments":
            items = [{**a, "assignments": self.assignments.get(a["id"], [])} for a in items]
        return self._page(request, items)

    def create_app(self, request: Request, version: str) -> Response:
        if (denied := self._auth(request) or self._version(version)) is not None:
            return denied
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return graph_error(400, "BadRequest", "Empty or malformed payload.")
        kind = body.get("@odata.type")
        if kind not in SUPPORTED_TYPES:
            return graph_error(400, "BadRequest", f"Unsupported or missing @odata.type: {kind!r}")
        missing = [f for f in (WIN32_REQUIRED if kind.endswith("win32LobApp") else ("displayName",)) if not body.get(f)]
        if missing:
            return graph_error(400, "BadRequest", f"Missing required properties: {', '.join(missing)}")
        if self.conflict_armed("POST", request.path):
            return graph_error(409, "Conflict", f"An app named '{body['displayName']}' already exists.")
        app_id = _guid(self.seed, "app", self.next_id())
        now = datetime.now(UTC).isoformat()
        app = {
            **body,
            "id": app_id,
            "createdDateTime": now,
            "lastModifiedDateTime": now,
            "publishingState": "notPublished",
            "committedContentVersion": None,
            "isAssigned": False,
            "uploadState": 0,
        }
        with self.lock:
            self.apps[app_id] = app
        self.created(app_id, "POST", request.path)
        self.mutation(request, "publish", app_id, marker_in(body.get("notes"), body.get("description")))
        return json_response(app, 201)

    def _app(self, app_id: str, reading: bool = True) -> dict[str, Any] | None:
        app = self.apps.get(app_id)
        if app is None or (reading and not self.visibility.visible(app_id)):
            return None
        return app

    def get_app(self, request: Request, version: str, app_id: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        app = self._app(app_id)
        return json_response(app) if app else self.not_found(request)

    def patch_app(self, request: Request, version: str, app_id: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        app = self._app(app_id, reading=False)
        body = request.get_json(silent=True) or {}
        if app is None:
            return self.not_found(request)
        committed = body.get("committedContentVersion")
        if committed is not None:
            files = [f for f in self.files.values() if f["app"] == app_id and f["cv"] == committed]
            if not files or not all(f["uploadState"] == "commitFileSuccess" for f in files):
                return graph_error(400, "BadRequest", f"Content version {committed} has no committed file.")
            app["publishingState"] = "published"
        app.update({k: v for k, v in body.items() if k != "@odata.type"})
        self.mutation(request, "upload" if committed is not None else "update", app_id, marker_in(app.get("notes")))
        return Response(status=204)

    # ---- assignments and status ---------------------------------------------------------

    def assign(self, request: Request, version: str, app_id: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        app = self._app(app_id, reading=False)
        body = request.get_json(silent=True) or {}
        if app is None:
            return self.not_found(request)
        items = body.get("mobileAppAssignments")
        if not isinstance(items, list):
            return graph_error(400, "BadRequest", "mobileAppAssignments is required.")
        groups = self.groups
        before = {a["target"].get("groupId"): a["intent"] for a in self.assignments.get(app_id, [])}
        stored, changed = [], []
        for item in items:
            target = item.get("target") or {}
            group_id = target.get("groupId")
            if item.get("intent") not in ("required", "available", "uninstall", "availableWithoutEnrollment"):
                return graph_error(400, "BadRequest", f"Invalid intent {item.get('intent')!r}.")
            if group_id not in groups:
                return graph_error(400, "BadRequest", f"Group {group_id} does not exist.")
            stored.append({"id": f"{group_id}_0_0", "intent": item["intent"], "target": target, "settings": None})
            if before.get(group_id) != item["intent"]:
                changed.append(stored[-1])
            action = "uninstall" if item["intent"] == "uninstall" else "install"
            current = self.deployments.get((app_id, group_id))
            if current is None or current.action != action:
                self.deployments[(app_id, group_id)] = Deployment(
                    key=f"{app_id}:{group_id}:{action}",
                    group=groups[group_id],
                    action=action,
                    assigned_at=self.fleet.now(),
                )
        self.assignments[app_id] = stored
        self.changed()
        app["isAssigned"] = bool(stored)
        # Counted per target the request changed; a request that changes nothing repeats its last
        # target (the one a client appends), so a duplicate assign still shows as one.
        for item in changed or stored[-1:]:
            operation = "uninstall" if item["intent"] == "uninstall" else "assign"
            self.mutation(request, operation, f"{app_id}/{item['target']['groupId']}", marker_in(app.get("notes")))
        return Response(status=204)

    def list_assignments(self, request: Request, version: str, app_id: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if self._app(app_id, reading=False) is None:
            return self.not_found(request)
        return json_response({"value": self.assignments.get(app_id, [])})

    def _statuses(self, app_id: str) -> list[dict[str, Any]]:
        rows = []
        groups = self.groups
        for (aid, group_id), deployment in self.deployments.items():
            if aid != app_id or group_id not in groups:
                continue
            for device in self.fleet.devices(groups[group_id]):
                state = self.fleet.state(deployment, device)
                if state == "pending":
                    continue  # records appear only once the device has checked in
                synced = EPOCH + timedelta(seconds=self.fleet.reported_at(deployment, device))
                value = STATE_VALUES[state]
                if state == "failed" and deployment.action == "uninstall":
                    value = "uninstallFailed"
                rows.append(
                    {
                        "id": f"{device.id}_{app_id}",
                        "deviceName": device.name,
                        "deviceId": device.id,
                        "lastSyncDateTime": synced.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "mobileAppInstallStatusValue": value,
                        "errorCode": hresult(self.fleet.error_code(deployment, device)) if state == "failed" else 0,
                        "osVersion": "10.0.22631",
                        "userPrincipalName": f"{device.name.lower()}@contoso.example",
                    }
                )
        return rows

    def device_statuses(self, request: Request, version: str, app_id: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if version != "beta":
            return graph_error(400, "BadRequest", "Resource not found for the segment 'deviceStatuses' in v1.0.")
        if self._app(app_id, reading=False) is None:
            return self.not_found(request)
        return self._page(request, self.cached(("statuses", app_id), lambda: self._statuses(app_id)), 50)

    def install_summary(self, request: Request, version: str, app_id: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if self._app(app_id, reading=False) is None:
            return self.not_found(request)
        counts = {"installed": 0, "failed": 0, "notApplicable": 0, "notInstalled": 0}
        for row in self._statuses(app_id):
            value = row["mobileAppInstallStatusValue"]
            counts["failed" if value == "uninstallFailed" else value] += 1
        return json_response(
            {
                "@odata.type": "#microsoft.graph.mobileAppInstallSummary",
                "id": app_id,
                "installedDeviceCount": counts["installed"],
                "failedDeviceCount": counts["failed"],
                "notApplicableDeviceCount": counts["notApplicable"],
                "notInstalledDeviceCount": counts["notInstalled"],
                "pendingInstallDeviceCount": 0,
            }
        )

    def list_groups(self, request: Request, version: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        flt = request.args.get("$filter", "")
        m = re.fullmatch(r"displayName eq '(.*)'", flt)
        items = [{"id": gid, "displayName": name, "securityEnabled": True} for gid, name in self.groups.items()]
        if m:
            items = [g for g in items if g["displayName"] == m.group(1)]
        return self._page(request, items)

    def members(self, request: Request, version: str, group_id: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        groups = self.groups
        if group_id not in groups:
            return self.not_found(request)
        items = self.cached(
            ("members", group_id),
            lambda: [
                {
                    "@odata.type": "#microsoft.graph.device",
                    "id": d.id,
                    "deviceId": d.id,
                    "displayName": d.name,
                    # the site class as an Entra device extension attribute (set by the tenant's tooling)
                    "extensionAttributes": {"extensionAttribute1": d.site_class},
                }
                for d in self.fleet.devices(groups[group_id])
            ],
            ttl=3600,
        )
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

    def state(self) -> dict[str, Any]:
        return {"apps": len(self.apps), "groups": self.groups, "tenant": self.tenant}
