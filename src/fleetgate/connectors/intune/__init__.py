"""Microsoft Intune through Microsoft Graph **v1.0**, and **beta** where v1.0 lacks it (checked 2026-12-02).

Requests: identity platform v2.0 client credentials (`{authority}/{tenant}/oauth2/v2.0/token`,
scope `https://graph.microsoft.com/.default`); `deviceAppManagement/mobileApps` (create
win32LobApp, list, PATCH committedContentVersion), the content upload (`content.py`),
`/assign` and `/assignments` (`assignments.py`), `groups`, `groups/{id}/members/
microsoft.graph.device/$count`, `deviceManagement/managedDevices` and
`deviceManagement/reports/retrieveDeviceAppInstallationStatusReport`, and for a large app its
export job `deviceManagement/reports/exportJobs` (DeviceInstallStatusByApp, `reports.py`).
Beta is used for two things v1.0 does not have. One read: `GET /beta/groups/{id}/members/
microsoft.graph.device` with `extensionAttributes` (a device's onPremisesExtensionAttributes are
not in v1.0), which carry the site class. And macOS: a .pkg is published as a
`#microsoft.graph.macOSPkgApp`, a beta-only type, so everything on such an app is on /beta — its
create (`apps.pkg_body`: primaryBundleId, primaryBundleVersion and includedApps from the install
facts' `macos_bundle` detection rules, minimumSupportedOperatingSystem, ignoreVersionDetection
false), its content upload (`/beta/deviceAppManagement/mobileApps/{id}/microsoft.graph.macOSPkgApp/
contentVersions/...`: the .pkg itself encrypted with the same AES-256-CBC + HMAC-SHA256 protocol,
`intunewin.seal`), the PATCH of committedContentVersion, `/assign` and `/assignments`, and the
look-ups by marker (`$filter=isof('microsoft.graph.macOSPkgApp')`, which inventory reads too);
the install status report is the same v1.0 report for either type. A macOS package without a
bundle rule is refused (`DetectionRequired`), one that is not a .pkg (a .dmg) and any other
platform's (`UnsupportedPackage`), before anything is created. The beta `mobileApps/{id}/
deviceStatuses` list is gone from the service (400 "Resource not found for the segment"), and
`displayVersion` is beta only and not sent.

References (Microsoft Learn, Graph REST API v1.0, checked 2026-12-02): "Create win32LobApp",
"win32LobAppRule" and its file-system / product-code / registry / PowerShell-script rule types,
"Create mobileAppContentFile", "mobileAppContentFile: commit", "mobileAppContentFile:
renewUpload", "fileEncryptionInfo", "mobileApp: assign", "List mobileAppAssignments",
"deviceManagementReports: retrieveDeviceAppInstallationStatusReport", "Export Intune reports
using Graph APIs" and "Intune reports and properties available using Graph API", "managedDevice"
(azureADDeviceId), "List group members", "Paging Microsoft Graph data" and "Microsoft Graph
throttling guidance"; Azure Storage REST "Put Block" / "Put Block List"; the Win32 Content Prep
Tool's .intunewin format (`intunewin.py`). Graph beta (checked 2026-12-02): "macOSPkgApp resource
type", "Create macOSPkgApp", "macOSIncludedApp resource type", "macOSMinimumOperatingSystem
resource type" (see `apps.py`), and Microsoft's macOS .pkg upload script (microsoft/intune-my-macs,
`Invoke-macOSLobAppUpload`: the content calls on the macOSPkgApp cast, the .pkg encrypted as is).
Field names are checked by tests/unit/test_contract_intune.py against the msgraph-sdk models (v1.0)
and by tests/unit/test_contract_intune_macos.py against the msgraph-beta-sdk models (macOSPkgApp).

Why not MSAL: MSAL for Python canonicalises every authority to an https URL with a hostname and
uses `requests`, so it can neither reach the loopback simulator over plain HTTP nor go through the
single httpx retry/breaker layer. The client credentials grant is one form POST (RFC 6749 §4.4).

Rollback is `retire()` (the ring group's assignment becomes `uninstall`) and assigning the previous
version's app. observe() reads the group's assignment intent first: under `uninstall` a device
reporting NotInstalled is done (`not_installed`), Installed is still pending. A failed device's
detail is its error code rendered by `error_code()`; its site class comes from the Entra device's
extension attribute named by the setting `site_class_attribute` (default `extensionAttribute1`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from fleetgate.connectors.base import (
    AppRef,
    Artifact,
    CheckResult,
    Connector,
    DeviceStatus,
    IntentRef,
    InventoryItem,
    ObserveResult,
    OperationResult,
    Permanent,
    PlaneGroup,
    RingGroup,
    SchemaMismatch,
    Tally,
    error_code,
)
from fleetgate.connectors.intune import apps, assignments, content, groups, intunewin, reports
from fleetgate.connectors.intune.apps import MACOS_PKG, WIN32, DetectionRequired, UnsupportedPackage

__all__ = ["DetectionRequired", "IntuneConnector", "UnsupportedPackage"]

STATE_MAP = {
    "installed": "installed",
    "failed": "failed",
    "uninstallfailed": "failed",
    "notapplicable": "not_applicable",
    "pendinginstall": "pending",
    "notinstalled": "pending",
    "unknown": "pending",
}
UNINSTALL_STATE_MAP = {"notinstalled": "not_installed", "installed": "pending"}
SITE_CLASSES = ("online", "intermittent", "air_gapped")
BETA = "/beta"
MACOS_APPS = {"$filter": "isof('microsoft.graph.macOSPkgApp')"}  # beta only: v1.0 has no such type


class IntuneConnector(Connector):
    kind = "intune"
    default_platforms = ("windows", "macos", "ios", "android")
    label = "Microsoft Intune (Graph)"
    api_version = "Microsoft Graph v1.0 (+ beta: group device members, macOSPkgApp)"
    required_settings = ("tenant_id", "client_id")
    required_secrets = ("client_secret",)

    @property
    def v1(self) -> str:
        return "/" + str(self.config.settings.get("graph_version", "v1.0"))

    def fetch_token(self) -> tuple[str, float]:
        authority = str(self.config.settings.get("authority") or "https://login.microsoftonline.com").rstrip("/")
        response = self.request(
            "POST",
            f"{authority}/{self.config.settings['tenant_id']}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": str(self.config.settings["client_id"]),
                "client_secret": self.config.secrets.get("client_secret", ""),
                "scope": "https://graph.microsoft.com/.default",
            },
            auth=False,
            safe=True,
        )
        body = self.json(response)
        return str(self.field(body, "access_token")), float(body.get("expires_in", 3600))

    # ---- protocol -------------------------------------------------------------------------

    def check(self) -> CheckResult:
        def probe() -> str:
            body = self.json(
                self.request("GET", f"{self.v1}/deviceAppManagement/mobileApps", params={"$top": 1}, safe=True)
            )
            self.field(body, "value")
            return "token issued; mobileApps readable"

        return self.timed_check(probe)

    def publish(self, artifact: Artifact, key: str) -> AppRef:
        if apps.is_macos(artifact):
            return self._publish_pkg(artifact, key)
        package = self._package(artifact)
        try:
            body = apps.win32_body(
                artifact, self.marker(key), package.setup_file, apps.rules(artifact, package.msi_product_code)
            )
            app_id = self._create(self.v1, body)
            content.upload(self, app_id, WIN32, package)
        finally:
            package.discard()
        return self._ref(app_id, artifact)

    def _publish_pkg(self, artifact: Artifact, key: str) -> AppRef:
        """A macOS .pkg as a macOSPkgApp, all on Graph beta: create, upload the encrypted .pkg, commit."""
        body = self._pkg_body(artifact, key)  # refuses before anything is created or encrypted
        package = intunewin.seal(artifact.path, artifact.filename)
        try:
            app_id = self._create(BETA, body)
            content.upload(self, app_id, MACOS_PKG, package, root=BETA, file_name=artifact.filename)
        finally:
            package.discard()
        return self._ref(app_id, artifact)

    def _pkg_body(self, artifact: Artifact, key: str) -> dict[str, Any]:
        apps.check_pkg(artifact)
        return apps.pkg_body(artifact, self.marker(key), apps.bundles(artifact))

    def _create(self, root: str, body: dict[str, Any]) -> str:
        created = self.json(
            self.request(
                "POST",
                f"{root}/deviceAppManagement/mobileApps",
                json_body=body,
                dry={**body, "id": "dry-run-app"},
                dry_status=201,
            )
        )
        return str(self.field(created, "id"))

    def find_published(self, artifact: Artifact, key: str) -> AppRef | None:
        marker, macos = self.marker(key), apps.is_macos(artifact)
        url, params = f"{BETA if macos else self.v1}/deviceAppManagement/mobileApps", {"$top": 100}
        for app in self.paged(url, {**params, **MACOS_APPS} if macos else params):
            if app.get("notes") == marker:
                if not app.get("committedContentVersion"):
                    self._resume_upload(str(app["id"]), artifact, key)
                return self._ref(str(app["id"]), artifact)
        return None

    def _resume_upload(self, app_id: str, artifact: Artifact, key: str) -> None:
        """Upload the content of an app created before a crash (its upload never committed)."""
        if apps.is_macos(artifact):
            self._pkg_body(artifact, key)
            package = intunewin.seal(artifact.path, artifact.filename)
            root, odata_type, name = BETA, MACOS_PKG, artifact.filename
        else:
            package, root, odata_type, name = self._package(artifact), self.v1, WIN32, "IntunePackage.intunewin"
        try:
            content.upload(self, app_id, odata_type, package, root=root, file_name=name)
        finally:
            package.discard()

    def assign(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult:
        graph_intent = "uninstall" if intent.action == "uninstall" else "required"
        return self._set_assignment(app, group, graph_intent, "assign", key)

    def find_assignment(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult | None:
        group_id = self._group_id(group)
        wanted = "uninstall" if intent.action == "uninstall" else "required"
        for item in assignments.current(self, app.external_id, self._root(app)):
            if assignments.targets_group(item, group_id) and item.get("intent") == wanted:
                return OperationResult("assign", f"{app.external_id}:{group_id}", correlation=self.marker(key))
        return None

    def retire(self, app: AppRef, group: RingGroup, key: str) -> OperationResult:
        return self._set_assignment(app, group, "uninstall", "retire", key)

    def observe(self, app: AppRef, group: RingGroup) -> ObserveResult:
        tally = Tally(page_size=self.config.page_size)
        group_id = self._group_id(group)
        intents = [
            a.get("intent")
            for a in assignments.current(self, app.external_id, self._root(app))
            if assignments.targets_group(a, group_id)
        ]
        action = "uninstall" if intents and intents[-1] == "uninstall" else "install"
        attribute = str(self.config.settings.get("site_class_attribute", "extensionAttribute1"))
        members: dict[str, tuple[str, str]] = {}  # Entra deviceId -> (name, site class)
        for device in self.paged(
            f"/beta/groups/{group_id}/members/microsoft.graph.device",  # extensionAttributes: beta only
            {"$select": "id,deviceId,displayName,extensionAttributes", "$top": 999},
            tally,
        ):
            site = str((device.get("extensionAttributes") or {}).get(attribute) or "")
            members[str(device.get("deviceId"))] = (
                str(device.get("displayName", "")),
                site if site in SITE_CLASSES else "",
            )
        entra: dict[str, str] | None = None
        for row in reports.rows(self, app.external_id, tally):
            if entra is None:
                entra = reports.entra_ids(self, tally)
            device_id = entra.get(str(row.get("DeviceId")), "")
            member = members.pop(device_id, None)
            if member is None:
                continue  # a device of another ring group, or not an Entra-joined device of this one
            value = str(row.get("AppInstallState") or "unknown")
            lowered = value.replace(" ", "").lower()
            state = (UNINSTALL_STATE_MAP.get(lowered) if action == "uninstall" else None) or STATE_MAP.get(
                lowered, "pending"
            )
            detail = error_code(row.get("HexErrorCode") or row.get("ErrorCode")) if state == "failed" else value
            tally.add(
                DeviceStatus(device_id, str(row.get("DeviceName") or member[0]), state, detail or value, member[1])
            )
        for device_id, (name, site) in members.items():
            tally.add(DeviceStatus(device_id, name, "pending", "not reported yet", site))
        return tally.result(action)

    def group_size(self, group: RingGroup) -> int:
        response = self.request(
            "GET",
            f"{self.v1}/groups/{self._group_id(group)}/members/microsoft.graph.device/$count",
            headers={"ConsistencyLevel": "eventual", "Accept": "text/plain"},
            safe=True,
        )
        try:
            return int(response.text.strip())
        except ValueError as exc:
            raise SchemaMismatch(f"intune: $count answered {response.text[:60]!r}, not a number") from exc

    def inventory(self, group: RingGroup) -> list[InventoryItem]:
        group_id = self._group_id(group)
        items = []
        listing = {"$expand": "assignments", "$top": 100}
        every = itertools.chain(
            self.paged(f"{self.v1}/deviceAppManagement/mobileApps", listing),
            # macOSPkgApps are not in v1.0 at all; read them on beta (none there: one empty page)
            () if self.v1 == BETA else self.paged(f"{BETA}/deviceAppManagement/mobileApps", {**listing, **MACOS_APPS}),
        )
        for app in every:
            for assignment in app.get("assignments") or []:
                if assignments.targets_group(assignment, group_id):
                    items.append(
                        InventoryItem(
                            external_id=str(app["id"]),
                            name=str(app.get("displayName", "")),
                            version=apps.version_of(app),
                            # required -> install; available (and availableWithoutEnrollment) stay available
                            intent={"required": "install", "uninstall": "uninstall"}.get(
                                str(assignment.get("intent")), "available"
                            ),
                            group=group.name,
                            deadline=assignments.deadline_of(assignment),
                        )
                    )
        return items

    def list_groups(self, search: str = "", limit: int = 50) -> list[PlaneGroup]:
        return groups.listing(self, search, limit)  # Entra groups (`groups.py`)

    # ---- internals ------------------------------------------------------------------------

    def _package(self, artifact: Artifact) -> intunewin.IntuneWin:
        if artifact.format == "intunewin" or artifact.filename.lower().endswith(".intunewin"):
            if not artifact.path:
                raise Permanent(f"intune: the .intunewin of {artifact.name} {artifact.version} is not in the store")
            return intunewin.read(artifact.path)
        apps.win32_body(artifact, "", artifact.filename, [{}])  # refuse what Intune cannot take, before packaging
        apps.rules(artifact)
        return intunewin.build(artifact.path, artifact.filename)

    def _ref(self, app_id: str, artifact: Artifact) -> AppRef:
        odata_type = MACOS_PKG if apps.is_macos(artifact) else WIN32
        return AppRef(self.kind, app_id, artifact.name, artifact.version, {"odata_type": odata_type})

    def _root(self, app: AppRef) -> str:
        """The Graph version path of the app's own calls: beta for a macOSPkgApp, else v1.0."""
        return BETA if app.attributes.get("odata_type") == MACOS_PKG else self.v1

    def _group_id(self, group: RingGroup) -> str:
        if group.external_id:
            return group.external_id
        name = group.name.replace("'", "''")
        body = self.json(
            self.request("GET", f"{self.v1}/groups", params={"$filter": f"displayName eq '{name}'"}, safe=True)
        )
        found = body.get("value") or []
        if not found:
            raise Permanent(f"intune: no Entra ID group named '{group.name}'")
        return str(found[0]["id"])

    def _set_assignment(
        self, app: AppRef, group: RingGroup, graph_intent: str, operation: str, key: str
    ) -> OperationResult:
        group_id = self._group_id(group)
        assignments.assign(self, app.external_id, group_id, graph_intent, self._root(app))
        return OperationResult(
            operation, f"{app.external_id}:{group_id}", correlation=self.marker(key), detail={"intent": graph_intent}
        )

    def paged(
        self, url: str, params: dict[str, Any] | None = None, tally: Tally | None = None
    ) -> Iterator[dict[str, Any]]:
        next_url: str | None = url
        first = True
        while next_url:
            response = self.request("GET", next_url, params=params if first else None, safe=True)
            first = False
            body = self.json(response)
            if tally is not None:
                tally.pages_read += 1
            yield from self.field(body, "value")
            next_url = body.get("@odata.nextLink")
