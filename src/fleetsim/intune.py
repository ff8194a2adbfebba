"""Microsoft Intune through Microsoft Graph, simulated: the subset the Intune connector uses.

Identity platform v2.0 client credentials (`POST /{tenant}/oauth2/v2.0/token`), Graph v1.0
`deviceAppManagement/mobileApps` (win32LobApp / macOSPkgApp), the content upload flow
(contentVersions → files → Azure block-blob upload → commit), `/assign`, `/assignments`, group
device members, and the beta `deviceStatuses` / `installSummary` reads; `@odata.nextLink` paging,
429 with Retry-After, and Graph's error body `{"error": {"code", "message", "innerError"}}`.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fleetsim.fleet import Deployment, _guid
from fleetsim.server import Fault, SimApp, json_response

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


def graph_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    inner = {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "request-id": str(uuid.uuid4())}
    return json_response({"error": {"code": code, "message": message, "innerError": inner}}, status, headers)


class IntuneSim(SimApp):
    plane = "intune"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tenant = _guid(self.seed, "tenant")
        self.apps: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.assignments: dict[str, list[dict[str, Any]]] = {}
        self.deployments: dict[tuple[str, str], Deployment] = {}
        self.blocks: dict[str, int] = {}
        self.groups = {_guid(self.seed, "group", name): name for name in self.fleet.group_names()}

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
        return Response(status=204)

    # ---- content upload -----------------------------------------------------------------

    def create_content_version(self, request: Request, version: str, app_id: str, cast: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        app = self._app(app_id, reading=False)
        if app is None or not app["@odata.type"].endswith(cast.split(".")[-1]):
            return self.not_found(request)
        with self.lock:
            app["_cv"] = app.get("_cv", 0) + 1
            cv = str(app["_cv"])
        return json_response({"@odata.type": "#microsoft.graph.mobileAppContent", "id": cv}, 201)

    def create_file(self, request: Request, version: str, app_id: str, cast: str, cv: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        body = request.get_json(silent=True) or {}
        if not body.get("name") or "size" not in body or "sizeEncrypted" not in body:
            return graph_error(400, "BadRequest", "A content file needs name, size and sizeEncrypted.")
        file_id = _guid(self.seed, "file", self.next_id())
        record = {
            "@odata.type": "#microsoft.graph.mobileAppContentFile",
            "id": file_id,
            "name": body["name"],
            "size": body["size"],
            "sizeEncrypted": body["sizeEncrypted"],
            "azureStorageUri": None,
            "isCommitted": False,
            "uploadState": "azureStorageUriRequestPending",
            "app": app_id,
            "cv": cv,
            "_polls": 0,
        }
        self.files[file_id] = record
        return json_response(self._public_file(record), 201)

    def _public_file(self, record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if not k.startswith("_") and k not in ("app", "cv")}

    def get_file(self, request: Request, version: str, app_id: str, cast: str, cv: str, file_id: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        record = self.files.get(file_id)
        if record is None:
            return self.not_found(request)
        record["_polls"] += 1
        # Each pending state resolves on the next poll, as the service does after a few seconds.
        if record["uploadState"] == "azureStorageUriRequestPending" and record["_polls"] > 1:
            record["uploadState"] = "azureStorageUriRequestSuccess"
            record["azureStorageUri"] = f"{self.base_url}/_blob/{file_id}?sv=2019-02-02&sr=b&sig=simulated"
        elif record["uploadState"] == "commitFilePending":
            record["uploadState"] = "commitFileSuccess"
            record["isCommitted"] = True
        return json_response(self._public_file(record))

    def blob_put(self, request: Request, file_id: str) -> Response:
        record = self.files.get(file_id)
        if record is None or request.args.get("sig") != "simulated":
            return Response('<?xml version="1.0"?><Error><Code>AuthenticationFailed</Code></Error>', 403)
        comp = request.args.get("comp")
        if comp == "block":
            if request.headers.get("x-ms-blob-type") != "BlockBlob" or not request.args.get("blockid"):
                return Response("<Error><Code>InvalidHeaderValue</Code></Error>", 400)
            self.blocks[file_id] = self.blocks.get(file_id, 0) + len(request.get_data())
            return Response(status=201)
        if comp == "blocklist":
            if b"<BlockList>" not in request.get_data():
                return Response("<Error><Code>InvalidXmlDocument</Code></Error>", 400)
            record["_uploaded"] = True
            return Response(status=201)
        return Response("<Error><Code>InvalidQueryParameterValue</Code></Error>", 400)

    def commit_file(self, request: Request, version: str, app_id: str, cast: str, cv: str, file_id: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        record = self.files.get(file_id)
        body = request.get_json(silent=True) or {}
        if record is None:
            return self.not_found(request)
        if "fileEncryptionInfo" not in body:
            return graph_error(400, "BadRequest", "fileEncryptionInfo is required.")
        if record["uploadState"] != "azureStorageUriRequestSuccess" or not record.get("_uploaded"):
            return graph_error(400, "BadRequest", "The file has not been uploaded.")
        record["uploadState"] = "commitFilePending"
        return Response(status=200)

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
        stored = []
        for item in items:
            target = item.get("target") or {}
            group_id = target.get("groupId")
            if item.get("intent") not in ("required", "available", "uninstall", "availableWithoutEnrollment"):
                return graph_error(400, "BadRequest", f"Invalid intent {item.get('intent')!r}.")
            if group_id not in self.groups:
                return graph_error(400, "BadRequest", f"Group {group_id} does not exist.")
            stored.append({"id": f"{group_id}_0_0", "intent": item["intent"], "target": target, "settings": None})
            action = "uninstall" if item["intent"] == "uninstall" else "install"
            current = self.deployments.get((app_id, group_id))
            if current is None or current.action != action:
                self.deployments[(app_id, group_id)] = Deployment(
                    key=f"{app_id}:{group_id}:{action}",
                    group=self.groups[group_id],
                    action=action,
                    assigned_at=self.fleet.now(),
                )
        self.assignments[app_id] = stored
        self.changed()
        app["isAssigned"] = bool(stored)
        return Response(status=204)

    def list_assignments(self, request: Request, version: str, app_id: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if self._app(app_id, reading=False) is None:
            return self.not_found(request)
        return json_response({"value": self.assignments.get(app_id, [])})

    def _statuses(self, app_id: str) -> list[dict[str, Any]]:
        rows = []
        for (aid, group_id), deployment in self.deployments.items():
            if aid != app_id:
                continue
            for device in self.fleet.devices(self.groups[group_id]):
                state = self.fleet.state(deployment, device)
                if state == "pending":
                    continue  # records appear only once the device has checked in
                rows.append(
                    {
                        "id": f"{device.id}_{app_id}",
                        "deviceName": device.name,
                        "deviceId": device.id,
                        "lastSyncDateTime": "2026-01-01T00:00:00Z",
                        "mobileAppInstallStatusValue": STATE_VALUES[state],
                        "errorCode": 0 if state != "failed" else -2016281112,
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
            counts[row["mobileAppInstallStatusValue"]] += 1
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
        if group_id not in self.groups:
            return self.not_found(request)
        items = self.cached(
            ("members", group_id),
            lambda: [
                {"@odata.type": "#microsoft.graph.device", "id": d.id, "deviceId": d.id, "displayName": d.name}
                for d in self.fleet.devices(self.groups[group_id])
            ],
            ttl=3600,
        )
        return self._page(request, items)

    def state(self) -> dict[str, Any]:
        return {"apps": len(self.apps), "groups": self.groups, "tenant": self.tenant}
