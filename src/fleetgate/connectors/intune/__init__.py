"""Microsoft Intune through Microsoft Graph **v1.0** (+ one beta read; checked 2026-12-02).

Requests: identity platform v2.0 client credentials (`{authority}/{tenant}/oauth2/v2.0/token`,
scope `https://graph.microsoft.com/.default`); `deviceAppManagement/mobileApps` (create
win32LobApp, list, PATCH committedContentVersion), the content upload (`content.py`),
`/assign` and `/assignments` (`assignments.py`), `groups`, `groups/{id}/members/
microsoft.graph.device/$count`, `deviceManagement/managedDevices` and
`deviceManagement/reports/retrieveDeviceAppInstallationStatusReport`, and for a large app its
export job `deviceManagement/reports/exportJobs` (DeviceInstallStatusByApp, `reports.py`).
Beta is used for one read only: `GET /beta/groups/{id}/members/microsoft.graph.device` with
`extensionAttributes` (a device's onPremisesExtensionAttributes are not in v1.0), which carry the
site class. The beta `mobileApps/{id}/deviceStatuses` list is gone from the service (400 "Resource
not found for the segment"), `displayVersion` is beta only and not sent, and macOSPkgApp is beta
only and needs bundle facts (primaryBundleId, primaryBundleVersion, includedApps) Fleetgate's
install facts do not carry, so a macOS package is refused (`UnsupportedPackage`).

References (Microsoft Learn, Graph REST API v1.0, checked 2026-12-02): "Create win32LobApp",
"win32LobAppRule" and its file-system / product-code / registry / PowerShell-script rule types,
"Create mobileAppContentFile", "mobileAppContentFile: commit", "mobileAppContentFile:
renewUpload", "fileEncryptionInfo", "mobileApp: assign", "List mobileAppAssignments",
"deviceManagementReports: retrieveDeviceAppInstallationStatusReport", "Export Intune reports
using Graph APIs" and "Intune reports and properties available using Graph API", "managedDevice"
(azureADDeviceId), "List group members", "Paging Microsoft Graph data" and "Microsoft Graph
throttling guidance"; Azure Storage REST "Put Block" / "Put Block List"; the Win32 Content Prep
Tool's .intunewin format (`intunewin.py`). Field names are checked by
tests/unit/test_contract_intune.py against the msgraph-sdk models.

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
    RingGroup,
    SchemaMismatch,
    Tally,
    error_code,
)
from fleetgate.connectors.intune import apps, assignments, content, intunewin, reports
from fleetgate.connectors.intune.apps import WIN32, DetectionRequired, UnsupportedPackage

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


class IntuneConnector(Connector):
    kind = "intune"
    default_platforms = ("windows", "macos", "ios", "android")
    label = "Microsoft Intune (Graph)"
    api_version = "Microsoft Graph v1.0 (+ beta group device members)"
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
        package = self._package(artifact)
        try:
            body = apps.win32_body(
                artifact, self.marker(key), package.setup_file, apps.rules(artifact, package.msi_product_code)
            )
            created = self.json(
                self.request(
                    "POST",
                    f"{self.v1}/deviceAppManagement/mobileApps",
                    json_body=body,
                    dry={**body, "id": "dry-run-app"},
                    dry_status=201,
                )
            )
            app_id = str(self.field(created, "id"))
            content.upload(self, app_id, WIN32, package)
        finally:
            package.discard()
        return self._ref(app_id, artifact)

    def find_published(self, artifact: Artifact, key: str) -> AppRef | None:
        marker = self.marker(key)
        for app in self.paged(f"{self.v1}/deviceAppManagement/mobileApps", {"$top": 100}):
            if app.get("notes") == marker:
                if not app.get("committedContentVersion"):
                    package = self._package(artifact)
                    try:
                        content.upload(self, str(app["id"]), WIN32, package)  # resume the interrupted upload
                    finally:
                        package.discard()
                return self._ref(str(app["id"]), artifact)
        return None

    def assign(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult:
        graph_intent = "uninstall" if intent.action == "uninstall" else "required"
        return self._set_assignment(app, group, graph_intent, "assign", key)

    def find_assignment(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult | None:
        group_id = self._group_id(group)
        wanted = "uninstall" if intent.action == "uninstall" else "required"
        for item in assignments.current(self, app.external_id):
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
            for a in assignments.current(self, app.external_id)
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
        for app in self.paged(f"{self.v1}/deviceAppManagement/mobileApps", {"$expand": "assignments", "$top": 100}):
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
        return AppRef(self.kind, app_id, artifact.name, artifact.version, {"odata_type": WIN32})

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
        assignments.assign(self, app.external_id, group_id, graph_intent)
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
