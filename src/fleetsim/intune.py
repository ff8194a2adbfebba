"""Microsoft Intune through Microsoft Graph, simulated: the v1.0 subset the Intune connector uses,
and the beta macOSPkgApp.

Identity platform v2.0 client credentials (`POST /{tenant}/oauth2/v2.0/token`), Graph v1.0
`deviceAppManagement/mobileApps` (win32LobApp), the content upload flow (`intune_content.py`),
`/assign` (replaces the whole set) and `/assignments`, group device members (+ `$count`),
`deviceManagement/managedDevices`, the reports API (`intune_reports.py`) and its export jobs
(`intune_exports.py`); `@odata.nextLink`
paging, 429 with Retry-After, and Graph's error body `{"error": {"code", "message",
"innerError"}}`. Bodies are checked as Graph checks them (`intune_schema.py`): unknown or beta-only
properties and types, bad enum values and types, a missing `@odata.type` on abstract types and
read-only properties on create are refused with 400. A macOSPkgApp is beta only: on /beta it is
created (displayName, publisher, fileName, primaryBundleId, primaryBundleVersion, includedApps —
1 to 500, each with its @odata.type, bundleId and bundleVersion — and a
minimumSupportedOperatingSystem with one release set are required, else 400), its content goes
through the same upload flow and checks as a Win32 app's under the `microsoft.graph.macOSPkgApp`
cast, and it is assigned and reported on as any app; on /v1.0 its type "could not be resolved"
(400), its cast segment is not found (400), its app is not there (404, and not in a v1.0 list),
and `$filter=isof('microsoft.graph.macOSPkgApp')` lists it on beta. The removed beta
`mobileApps/{id}/deviceStatuses` answers 400 "Resource not found for the segment". Responses hold
only Graph's properties: the simulator's own bookkeeping lives in `uploads` and `deployments`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fleetsim.counters import marker_in
from fleetsim.fleet import Deployment, _guid
from fleetsim.intune_content import IntuneContent
from fleetsim.intune_exports import IntuneExports
from fleetsim.intune_reports import IntuneReports
from fleetsim.intune_schema import BETA_ONLY_TYPES, EPOCH, Refused, graph_error, public, validate
from fleetsim.server import Fault, json_response

APPS = "/<version>/deviceAppManagement/mobileApps"
FILE = f"{APPS}/<app_id>/<cast>/contentVersions/<cv>/files/<file_id>"
WIN32_REQUIRED = ("displayName", "publisher", "fileName", "installCommandLine", "uninstallCommandLine", "rules")
PKG_REQUIRED = (
    "displayName",
    "publisher",
    "fileName",
    "primaryBundleId",
    "primaryBundleVersion",
    "includedApps",
    "minimumSupportedOperatingSystem",
)
MAX_INCLUDED_APPS = 500
ISOF = re.compile(r"\(?isof\('microsoft\.graph\.(\w+)'\)\)?")
MAX_TOP = 999
__all__ = ["EPOCH", "IntuneSim", "graph_error"]


class IntuneSim(IntuneExports, IntuneContent, IntuneReports):
    plane = "intune"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tenant = _guid(self.seed, "tenant")
        self.apps: dict[str, dict[str, Any]] = {}  # app id -> the app as Graph stores it
        self.files: dict[str, dict[str, Any]] = {}  # content file id -> mobileAppContentFile
        self.uploads: dict[str, dict[str, Any]] = {}  # content file id -> blocks, blob, SAS (the simulator's)
        self.content_versions: dict[str, int] = {}  # app id -> contentVersions created
        self.assignments: dict[str, list[dict[str, Any]]] = {}  # app id -> mobileAppAssignment list
        self.deployments: dict[tuple[str, str], Deployment] = {}

    @property
    def groups(self) -> dict[str, str]:
        """Entra group id -> ring group name, for every group of the fleet (configurable at any time)."""
        return {_guid(self.seed, "group", name): name for name in self.fleet.group_names()}

    def group_id(self, name: str) -> str:
        return next(gid for gid, n in self.groups.items() if n == name)

    def app_version(self, app_id: str) -> str:
        """The version Fleetgate wrote into the app's description (v1.0 has no version property)."""
        match = re.search(r"\(version (\S+?);", str(self.apps.get(app_id, {}).get("description") or ""))
        return match.group(1) if match else ""

    def rules(self) -> list[Rule]:
        return [
            Rule("/<tenant>/oauth2/v2.0/token", methods=["POST"], endpoint="token"),
            Rule(APPS, methods=["GET"], endpoint="list_apps"),
            Rule(APPS, methods=["POST"], endpoint="create_app"),
            Rule(f"{APPS}/<app_id>", methods=["GET"], endpoint="get_app"),
            Rule(f"{APPS}/<app_id>", methods=["PATCH"], endpoint="patch_app"),
            Rule(f"{APPS}/<app_id>/<cast>/contentVersions", methods=["POST"], endpoint="create_content_version"),
            Rule(f"{APPS}/<app_id>/<cast>/contentVersions/<cv>/files", methods=["POST"], endpoint="create_file"),
            Rule(FILE, methods=["GET"], endpoint="get_file"),
            Rule(f"{FILE}/commit", methods=["POST"], endpoint="commit_file"),
            Rule(f"{FILE}/renewUpload", methods=["POST"], endpoint="renew_upload"),
            Rule(f"{APPS}/<app_id>/assign", methods=["POST"], endpoint="assign"),
            Rule(f"{APPS}/<app_id>/assignments", methods=["GET"], endpoint="list_assignments"),
            Rule(f"{APPS}/<app_id>/<segment>", methods=["GET"], endpoint="removed_segment"),
            Rule(
                "/<version>/deviceManagement/reports/retrieveDeviceAppInstallationStatusReport",
                methods=["POST"],
                endpoint="app_install_report",
            ),
            *self.export_rules(),
            Rule("/<version>/deviceManagement/managedDevices", methods=["GET"], endpoint="managed_devices"),
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

    def removed_segment(self, request: Request, version: str, app_id: str, segment: str) -> Response:
        """Segments the service no longer has (beta deviceStatuses, userStatuses, installSummary)."""
        if (denied := self._auth(request)) is not None:
            return denied
        return graph_error(400, "BadRequest", f"Resource not found for the segment '{segment}'.")

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

    @staticmethod
    def kind_of(app: dict[str, Any]) -> str:
        return str(app["@odata.type"]).removeprefix("#microsoft.graph.")

    def list_apps(self, request: Request, version: str) -> Response:
        if (denied := self._auth(request) or self._version(version)) is not None:
            return denied
        items = [
            public(a, self.kind_of(a))
            for k, a in self.apps.items()
            if self.visibility.visible(k) and (version == "beta" or self.kind_of(a) not in BETA_ONLY_TYPES)
        ]  # v1.0 cannot represent a beta-only type: its apps are not in a v1.0 list
        flt = request.args.get("$filter", "")
        if m := re.fullmatch(r"displayName eq '(.*)'", flt):
            items = [a for a in items if a["displayName"] == m.group(1).replace("''", "'")]
        elif m := ISOF.fullmatch(flt):
            known = ("win32LobApp", *BETA_ONLY_TYPES) if version == "beta" else ("win32LobApp",)
            if m.group(1) not in known:
                return graph_error(400, "BadRequest", _unresolved(m.group(1)))
            items = [a for a in items if self.kind_of(a) == m.group(1)]
        elif flt:
            return graph_error(400, "BadRequest", f"Unsupported $filter: {flt}")
        expand = request.args.get("$expand", "")
        if expand not in ("", "assignments"):
            return graph_error(400, "BadRequest", f"Could not find a property named '{expand}' on type 'mobileApp'.")
        if expand:
            items = [{**a, "assignments": self.assignments.get(a["id"], [])} for a in items]
        return self._page(request, items)

    def create_app(self, request: Request, version: str) -> Response:
        if (denied := self._auth(request) or self._version(version)) is not None:
            return denied
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return graph_error(400, "BadRequest", "Empty or malformed payload.")
        kind = str(body.get("@odata.type") or "").removeprefix("#").removeprefix("microsoft.graph.")
        beta = version == "beta"
        if beta and kind != "macOSPkgApp":  # beta creates a macOSPkgApp; other beta app types are not simulated
            return graph_error(400, "BadRequest", f"The simulator does not model creating apps in beta ({kind}).")
        if kind in BETA_ONLY_TYPES and not beta:
            return graph_error(400, "BadRequest", _unresolved(kind))
        try:
            validate(body, "mobileApp", creating=True, beta=beta)
        except Refused as exc:
            return exc.response()
        if (refused := _required(body, kind)) is not None:
            return refused
        if self.conflict_armed("POST", request.path):
            return graph_error(409, "Conflict", f"An app named '{body['displayName']}' already exists.")
        app_id = _guid(self.seed, "app", self.next_id())
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        app = {
            **body,
            "@odata.type": f"#microsoft.graph.{kind}",
            "id": app_id,
            "createdDateTime": now,
            "lastModifiedDateTime": now,
            "publishingState": "notPublished",
            "committedContentVersion": None,
            "size": 0,
        }
        with self.lock:
            self.apps[app_id] = app
        self.created(app_id, "POST", request.path)
        self.mutation(request, "publish", app_id, marker_in(body.get("notes"), body.get("description")))
        return json_response(public(app, kind), 201)

    def _app(self, app_id: str, reading: bool = True, version: str = "") -> dict[str, Any] | None:
        """The app, or None: unknown, not visible yet (a read), or of a type the version lacks (v1.0
        does not know a macOSPkgApp: its every path is on /beta)."""
        app = self.apps.get(app_id)
        if app is None or (reading and not self.visibility.visible(app_id)):
            return None
        if version == "v1.0" and self.kind_of(app) in BETA_ONLY_TYPES:
            return None
        return app

    def get_app(self, request: Request, version: str, app_id: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        app = self._app(app_id, version=version)
        return json_response(public(app, self.kind_of(app))) if app else self.not_found(request)

    def patch_app(self, request: Request, version: str, app_id: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        app = self._app(app_id, reading=False, version=version)
        body = request.get_json(silent=True)
        if app is None:
            return self.not_found(request)
        try:
            validate(body, "mobileApp", creating=True, beta=version == "beta")
        except Refused as exc:
            return exc.response()
        if isinstance(body, dict) and body.get("@odata.type") not in (None, app["@odata.type"]):
            return graph_error(
                400,
                "BadRequest",
                f"The type '{str(body['@odata.type']).removeprefix('#')}' is not the app's type "
                f"'{app['@odata.type'].removeprefix('#')}'.",
            )
        assert isinstance(body, dict)
        committed = body.get("committedContentVersion")
        if committed is not None:
            files = [self.files[f] for f, s in self.uploads.items() if s["app"] == app_id and s["cv"] == committed]
            if not files or not all(f["uploadState"] == "commitFileSuccess" for f in files):
                return graph_error(400, "BadRequest", f"Content version {committed} has no committed file.")
            app["publishingState"] = "published"
            app["size"] = sum(int(f["size"]) for f in files)
        app.update({k: v for k, v in body.items() if k != "@odata.type"})
        app["lastModifiedDateTime"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self.mutation(request, "upload" if committed is not None else "update", app_id, marker_in(app.get("notes")))
        return Response(status=204)

    # ---- assignments --------------------------------------------------------------------

    def assign(self, request: Request, version: str, app_id: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        app = self._app(app_id, reading=False, version=version)
        body = request.get_json(silent=True)
        if app is None:
            return self.not_found(request)
        if not isinstance(body, dict) or set(body) != {"mobileAppAssignments"}:
            return graph_error(400, "BadRequest", "The request body must hold exactly mobileAppAssignments.")
        items = body["mobileAppAssignments"]
        if not isinstance(items, list):
            return graph_error(400, "BadRequest", "mobileAppAssignments must be a collection.")
        groups = self.groups
        stored: list[dict[str, Any]] = []
        seen: set[Any] = set()
        for item in items:
            try:
                validate(item, "mobileAppAssignment", beta=version == "beta")
            except Refused as exc:
                return exc.response()
            target = item.get("target") or {}
            group_id = target.get("groupId")
            if not item.get("intent") or not target:
                return graph_error(400, "BadRequest", "Each assignment needs an intent and a target.")
            if "groupId" in target and group_id not in groups:
                return graph_error(400, "BadRequest", f"Group {group_id} does not exist.")
            if group_id in seen:
                return graph_error(400, "BadRequest", f"The app is assigned to group {group_id} more than once.")
            seen.add(group_id)
            stored.append(
                {
                    "@odata.type": "#microsoft.graph.mobileAppAssignment",
                    "id": f"{group_id}_{len(stored)}_0",
                    "intent": item["intent"],
                    "target": target,
                    "settings": item.get("settings"),
                }
            )
        before = {a["target"].get("groupId"): a for a in self.assignments.get(app_id, [])}
        changed = [a for a in stored if (before.get(a["target"].get("groupId")) or {}).get("intent") != a["intent"]]
        self._deploy(app_id, before, stored)
        self.assignments[app_id] = stored
        self.changed()
        # Counted per target the request changed; a request that changes nothing repeats its last
        # target (the one a client appends), so a duplicate assign still shows as one.
        for item in changed or stored[-1:]:
            operation = "uninstall" if item["intent"] == "uninstall" else "assign"
            self.mutation(request, operation, f"{app_id}/{item['target'].get('groupId')}", marker_in(app.get("notes")))
        return Response(status=204)

    def _deploy(self, app_id: str, before: dict[str, Any], stored: list[dict[str, Any]]) -> None:
        groups, kept = self.groups, set()
        for item in stored:
            group_id = item["target"].get("groupId")
            if item["target"].get("@odata.type") != "#microsoft.graph.groupAssignmentTarget" or item["intent"] not in (
                "required",
                "uninstall",
            ):
                continue
            kept.add(group_id)
            action = "uninstall" if item["intent"] == "uninstall" else "install"
            current = self.deployments.get((app_id, group_id))
            if current is None or current.action != action:
                self.deployments[(app_id, group_id)] = Deployment(
                    key=f"{app_id}:{group_id}:{action}",
                    group=groups[group_id],
                    action=action,
                    assigned_at=self.fleet.now(),
                )
        for group_id in set(before) - kept:
            self.deployments.pop((app_id, group_id), None)

    def list_assignments(self, request: Request, version: str, app_id: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if self._app(app_id, reading=False, version=version) is None:
            return self.not_found(request)
        return json_response(
            {"@odata.context": f"{self.base_url}/$metadata", "value": self.assignments.get(app_id, [])}
        )

    def state(self) -> dict[str, Any]:
        return {"apps": len(self.apps), "groups": self.groups, "tenant": self.tenant}


def _unresolved(kind: str) -> str:
    return (
        f"A type named 'microsoft.graph.{kind}' could not be resolved by the model. When a model is "
        "available, each type name must resolve to a valid type."
    )


def _required(body: dict[str, Any], kind: str) -> Response | None:
    """The properties an app of `kind` is created with (Graph answers 400 without them)."""
    if kind != "macOSPkgApp":
        missing = [f for f in WIN32_REQUIRED if not body.get(f)]
        return graph_error(400, "BadRequest", f"Missing required properties: {', '.join(missing)}") if missing else None
    missing = [f for f in PKG_REQUIRED if not body.get(f)]
    if missing:
        return graph_error(400, "BadRequest", f"Missing required properties: {', '.join(missing)}")
    included = body["includedApps"]
    if len(included) > MAX_INCLUDED_APPS:
        return graph_error(
            400, "BadRequest", f"includedApps holds {len(included)} apps; a macOSPkgApp includes at most 500."
        )
    for index, app in enumerate(included):
        if not app.get("@odata.type"):
            return graph_error(
                400,
                "BadRequest",
                f"includedApps[{index}] needs its @odata.type (#microsoft.graph.macOSIncludedApp).",
            )
        if not app.get("bundleId") or not app.get("bundleVersion"):
            return graph_error(400, "BadRequest", f"includedApps[{index}] needs a bundleId and a bundleVersion.")
    if not any(v is True for k, v in body["minimumSupportedOperatingSystem"].items() if not k.startswith("@")):
        return graph_error(
            400, "BadRequest", "minimumSupportedOperatingSystem must set at least one macOS release to true."
        )
    return None
