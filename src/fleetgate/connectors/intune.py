"""Microsoft Intune through Microsoft Graph.

Targets Microsoft Graph **v1.0** (`deviceAppManagement/mobileApps`, `/assign`, `/assignments`,
`groups/{id}/members`) and **beta** only where v1.0 has no equivalent (`deviceStatuses`,
`installSummary`). Authentication is the Microsoft identity platform v2.0 OAuth2 client
credentials grant against a configurable authority (`{authority}/{tenant}/oauth2/v2.0/token`,
scope `https://graph.microsoft.com/.default`).

Reference used: Microsoft Learn, Graph REST API: "Create win32LobApp", "mobileAppContent /
mobileAppContentFile" (create, get, commit), "mobileApp: assign", "List mobileAppAssignments",
"List mobileAppInstallStatuses" (beta), "Get mobileAppInstallSummary" (beta), "Paging Microsoft
Graph data in your app" (`@odata.nextLink`) and "Microsoft Graph throttling guidance" (429 +
Retry-After); Azure Storage "Put Block" / "Put Block List" for the SAS upload.

Why not MSAL: MSAL for Python canonicalises every authority to an https URL with a hostname
(msal/authority.py) and uses `requests` for transport, so it can neither talk to the loopback
simulator over plain HTTP nor go through the single httpx retry/breaker layer. The client
credentials grant is one form POST (RFC 6749 §4.4), done here with httpx.

Supersedence for rollback: the rollback path is `retire()` (the ring group's assignment becomes
`uninstall`) followed by assigning the previous version's app; Graph's
`mobileAppRelationships` supersedence is not used yet. observe() reads the group's assignment
intent first: under an `uninstall` assignment a device reporting `notInstalled` is done
(`not_installed`), `installed` is still pending. A failed device's detail is its `errorCode`
rendered by `error_code()` ("1603" for 0x80070643); its site class comes from the Entra device's
extension attribute named by the setting `site_class_attribute` (default `extensionAttribute1`).
"""

from __future__ import annotations

import base64
import hashlib
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
from fleetgate.connectors.errors import Transient

STATE_MAP = {
    "installed": "installed",
    "failed": "failed",
    "uninstallFailed": "failed",
    "notApplicable": "not_applicable",
    "pendingInstall": "pending",
    "notInstalled": "pending",
    "unknown": "pending",
}
APP_TYPES = {"macos": "#microsoft.graph.macOSPkgApp"}
DEFAULT_TYPE = "#microsoft.graph.win32LobApp"
UNINSTALL_STATE_MAP = {"notInstalled": "not_installed", "installed": "pending"}
SITE_CLASSES = ("online", "intermittent", "air_gapped")
BLOCK_SIZE = 4 * 1024 * 1024
POLLS = 10


class IntuneConnector(Connector):
    kind = "intune"
    default_platforms = ("windows", "macos", "ios", "android")
    label = "Microsoft Intune (Graph)"
    api_version = "Microsoft Graph v1.0 (+ beta deviceStatuses/installSummary)"
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
        odata_type = APP_TYPES.get(artifact.platform, DEFAULT_TYPE)
        body = self._app_body(artifact, odata_type, self.marker(key))
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
        self._upload(app_id, odata_type, artifact)
        return self._ref(app_id, artifact, odata_type)

    def find_published(self, artifact: Artifact, key: str) -> AppRef | None:
        marker = self.marker(key)
        for app in self._paged(f"{self.v1}/deviceAppManagement/mobileApps", {"$top": 100}):
            if app.get("notes") == marker:
                odata_type = str(app.get("@odata.type", DEFAULT_TYPE))
                if not app.get("committedContentVersion"):
                    self._upload(str(app["id"]), odata_type, artifact)  # resume the interrupted upload
                return self._ref(str(app["id"]), artifact, odata_type)
        return None

    def assign(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult:
        graph_intent = "uninstall" if intent.action == "uninstall" else "required"
        return self._set_assignment(app, group, graph_intent, "assign", key)

    def find_assignment(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult | None:
        group_id = self._group_id(group)
        wanted = "uninstall" if intent.action == "uninstall" else "required"
        for item in self._assignments(app.external_id):
            if _target(item) == group_id and item.get("intent") == wanted:
                return OperationResult("assign", f"{app.external_id}:{group_id}", correlation=self.marker(key))
        return None

    def retire(self, app: AppRef, group: RingGroup, key: str) -> OperationResult:
        return self._set_assignment(app, group, "uninstall", "retire", key)

    def observe(self, app: AppRef, group: RingGroup) -> ObserveResult:
        tally = Tally(page_size=self.config.page_size)
        group_id = self._group_id(group)
        intents = [a.get("intent") for a in self._assignments(app.external_id) if _target(a) == group_id]
        action = "uninstall" if intents and intents[-1] == "uninstall" else "install"
        attribute = str(self.config.settings.get("site_class_attribute", "extensionAttribute1"))
        members: dict[str, tuple[str, str]] = {}
        for device in self._paged(
            f"{self.v1}/groups/{group_id}/members/microsoft.graph.device",
            {"$select": "id,deviceId,displayName,extensionAttributes", "$top": 999},
            tally,
        ):
            site = str((device.get("extensionAttributes") or {}).get(attribute) or "")
            members[str(device.get("deviceId"))] = (
                str(device.get("displayName", "")),
                site if site in SITE_CLASSES else "",
            )
        for row in self._paged(
            f"/beta/deviceAppManagement/mobileApps/{app.external_id}/deviceStatuses", {"$top": 999}, tally
        ):
            device_id = str(row.get("deviceId"))
            member = members.pop(device_id, None)
            if member is None:
                continue  # a device of another ring group
            value = str(row.get("mobileAppInstallStatusValue", "unknown"))
            state = (UNINSTALL_STATE_MAP.get(value) if action == "uninstall" else None) or STATE_MAP.get(
                value, "pending"
            )
            detail = error_code(row.get("errorCode")) if state == "failed" else value
            tally.add(DeviceStatus(device_id, str(row.get("deviceName", "")), state, detail or value, member[1]))
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
        for app in self._paged(f"{self.v1}/deviceAppManagement/mobileApps", {"$expand": "assignments", "$top": 100}):
            for assignment in app.get("assignments") or []:
                if assignment.get("target", {}).get("groupId") == group_id:
                    items.append(
                        InventoryItem(
                            external_id=str(app["id"]),
                            name=str(app.get("displayName", "")),
                            version=str(app.get("displayVersion", "")),
                            intent="uninstall" if assignment.get("intent") == "uninstall" else "install",
                            group=group.name,
                        )
                    )
        return items

    # ---- internals ------------------------------------------------------------------------

    def _ref(self, app_id: str, artifact: Artifact, odata_type: str) -> AppRef:
        return AppRef(self.kind, app_id, artifact.name, artifact.version, {"odata_type": odata_type})

    def _app_body(self, artifact: Artifact, odata_type: str, marker: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "@odata.type": odata_type,
            "displayName": f"{artifact.name} {artifact.version}",
            "displayVersion": artifact.version,
            "description": f"{artifact.name} {artifact.version}, published by Fleetgate (sha256 {artifact.sha256}).",
            "publisher": artifact.publisher or "Unknown",
            "notes": marker,
            "fileName": f"{artifact.filename}.intunewin",
        }
        if odata_type == DEFAULT_TYPE:
            body.update(
                {
                    "setupFilePath": artifact.filename,
                    "installCommandLine": artifact.install_command or f'msiexec /i "{artifact.filename}" /qn',
                    "uninstallCommandLine": artifact.uninstall_command or f'msiexec /x "{artifact.filename}" /qn',
                    "applicableArchitectures": "x64",
                    "minimumSupportedWindowsRelease": "1607",
                    "installExperience": {
                        "@odata.type": "microsoft.graph.win32LobAppInstallExperience",
                        "runAsAccount": "system",
                        "deviceRestartBehavior": "suppress",
                    },
                    "returnCodes": [
                        {"@odata.type": "microsoft.graph.win32LobAppReturnCode", "returnCode": 0, "type": "success"},
                        {
                            "@odata.type": "microsoft.graph.win32LobAppReturnCode",
                            "returnCode": 3010,
                            "type": "softReboot",
                        },
                    ],
                    "rules": [
                        {
                            "@odata.type": "#microsoft.graph.win32LobAppFileSystemRule",
                            "ruleType": "detection",
                            "path": f"C:\\Program Files\\{artifact.name}",
                            "fileOrFolderName": artifact.filename,
                            "check32BitOn64System": False,
                            "operationType": "exists",
                            "operator": "notConfigured",
                            "comparisonValue": None,
                        }
                    ],
                }
            )
        return body

    def _upload(self, app_id: str, odata_type: str, artifact: Artifact) -> None:
        cast = odata_type.removeprefix("#")
        base = f"{self.v1}/deviceAppManagement/mobileApps/{app_id}/{cast}/contentVersions"
        cv = str(self.field(self.json(self.request("POST", base, json_body={}, dry={"id": "1"}, dry_status=201)), "id"))
        file_body = {
            "@odata.type": "#microsoft.graph.mobileAppContentFile",
            "name": f"{artifact.filename}.intunewin",
            "size": artifact.size,
            "sizeEncrypted": artifact.size + 48,  # AES-256 padding + HMAC of the .intunewin payload
            "manifest": None,
            "isDependency": False,
        }
        created = self.json(
            self.request("POST", f"{base}/{cv}/files", json_body=file_body, dry={"id": "dry-run-file"}, dry_status=201)
        )
        file_url = f"{base}/{cv}/files/{self.field(created, 'id')}"
        uri = str(self._poll(file_url, "azureStorageUriRequestSuccess").get("azureStorageUri") or "")
        block_ids = []
        for index, chunk in enumerate(artifact.chunks(BLOCK_SIZE)):
            block_id = base64.b64encode(f"block-{index:08d}".encode()).decode()
            block_ids.append(block_id)
            self.request(
                "PUT",
                f"{uri}&comp=block&blockid={block_id}",
                content=chunk,
                headers={"x-ms-blob-type": "BlockBlob"},
                auth=False,
                dry_status=201,
            )
        block_list = "".join(f"<Latest>{b}</Latest>" for b in block_ids)
        self.request(
            "PUT",
            f"{uri}&comp=blocklist",
            content=f'<?xml version="1.0" encoding="utf-8"?><BlockList>{block_list}</BlockList>',
            headers={"Content-Type": "application/xml"},
            auth=False,
            dry_status=201,
        )
        digest = base64.b64encode(bytes.fromhex(artifact.sha256)).decode() if len(artifact.sha256) == 64 else ""
        key_material = hashlib.sha256(f"{app_id}:{artifact.sha256}".encode()).digest()
        self.request(
            "POST",
            f"{file_url}/commit",
            json_body={
                "fileEncryptionInfo": {
                    "@odata.type": "microsoft.graph.fileEncryptionInfo",
                    "encryptionKey": base64.b64encode(key_material).decode(),
                    "macKey": base64.b64encode(key_material[::-1]).decode(),
                    "initializationVector": base64.b64encode(key_material[:16]).decode(),
                    "mac": base64.b64encode(key_material[16:]).decode(),
                    "profileIdentifier": "ProfileVersion1",
                    "fileDigest": digest,
                    "fileDigestAlgorithm": "SHA256",
                }
            },
        )
        self._poll(file_url, "commitFileSuccess")
        self.request(
            "PATCH",
            f"{self.v1}/deviceAppManagement/mobileApps/{app_id}",
            json_body={"@odata.type": odata_type, "committedContentVersion": cv},
            dry_status=204,
        )

    def _poll(self, url: str, wanted: str) -> dict[str, Any]:
        if self.config.dry_run:
            return {"uploadState": wanted, "azureStorageUri": f"{self.config.base_url}/dry-run-blob?sig=dry"}
        for _ in range(POLLS):
            body = self.json(self.request("GET", url, safe=True))
            state = str(body.get("uploadState", ""))
            if state == wanted:
                return dict(body)
            if state.endswith("Failed") or state.endswith("TimedOut"):
                raise Permanent(f"intune: content file {state}")
            self._sleep(1.0)
        raise Transient(f"intune: content file still not {wanted} after {POLLS} polls")

    def _group_id(self, group: RingGroup) -> str:
        if group.external_id:
            return group.external_id
        body = self.json(
            self.request("GET", f"{self.v1}/groups", params={"$filter": f"displayName eq '{group.name}'"}, safe=True)
        )
        found = body.get("value") or []
        if not found:
            raise Permanent(f"intune: no Entra ID group named '{group.name}'")
        return str(found[0]["id"])

    def _assignments(self, app_id: str) -> list[dict[str, Any]]:
        body = self.json(
            self.request("GET", f"{self.v1}/deviceAppManagement/mobileApps/{app_id}/assignments", safe=True)
        )
        return list(body.get("value") or [])

    def _set_assignment(
        self, app: AppRef, group: RingGroup, graph_intent: str, operation: str, key: str
    ) -> OperationResult:
        group_id = self._group_id(group)
        current = [] if self.config.dry_run else self._assignments(app.external_id)
        keep = [
            {"@odata.type": "#microsoft.graph.mobileAppAssignment", "intent": a["intent"], "target": a["target"]}
            for a in current
            if a.get("target", {}).get("groupId") != group_id
        ]
        mine = {
            "@odata.type": "#microsoft.graph.mobileAppAssignment",
            "intent": graph_intent,
            "target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group_id},
        }
        self.request(
            "POST",
            f"{self.v1}/deviceAppManagement/mobileApps/{app.external_id}/assign",
            json_body={"mobileAppAssignments": [*keep, mine]},
            dry_status=204,
        )
        return OperationResult(
            operation, f"{app.external_id}:{group_id}", correlation=self.marker(key), detail={"intent": graph_intent}
        )

    def _paged(
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


def _target(assignment: dict[str, Any]) -> str:
    return str((assignment.get("target") or {}).get("groupId", ""))
