"""Microsoft Configuration Manager (SCCM / MECM) through the AdminService.

Targets the **AdminService WMI route** (`/AdminService/wmi/…`, OData v4 over HTTPS) of
Configuration Manager current branch 2309+: `SMS_Site`, `SMS_Application`, `SMS_Collection` (ring
collections), `SMS_DistributionPointGroup('{id}')/AdminService.AddPackages` (content
distribution), `SMS_ApplicationAssignment` (deployments; DesiredConfigType 1 install / 2
uninstall, OfferTypeID 0 required) and `SMS_AppDeploymentAssetDetails` (per-device status,
AppStatusType 1 success, 2 in progress, 3 requirements not met, 4 unknown, 5 error), paged with
`@odata.nextLink`.

Reference used: Microsoft Learn, "What is the administration service in Configuration Manager?",
"How to use the administration service", and the WMI server class references for
SMS_Application, SMS_Collection, SMS_DistributionPointGroup (AddPackages method),
SMS_ApplicationAssignment and SMS_AppDeploymentAssetDetails.

Authentication: the AdminService expects Windows integrated authentication (Negotiate/NTLM).
httpx has no built-in Negotiate, so this connector sends HTTP Basic over TLS (IIS with Basic
enabled on the SMS Provider, or a reverse proxy that maps it); settings `username`, secret
`password`. The SDMPackageXML is a minimal AppMgmtDigest with one script deployment type.

observe() follows the app's latest deployment to the collection, install or uninstall (after
retire() it is the uninstall one: AppStatusType 1 then means removed, `not_installed`); a failed
device's detail is its ErrorCode rendered by `error_code()` ("1603" for 0x80070643).
"""

from __future__ import annotations

import base64
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
    Tally,
    error_code,
)

WMI = "/AdminService/wmi"
STATUS = {1: "installed", 2: "pending", 3: "not_applicable", 4: "pending", 5: "failed"}


def _q(value: str) -> str:
    return value.replace("'", "''")


class SccmConnector(Connector):
    kind = "sccm"
    default_platforms = ("windows",)
    label = "Configuration Manager (AdminService)"
    api_version = "AdminService WMI route, ConfigMgr current branch 2309+"
    required_settings = ("username",)
    required_secrets = ("password",)

    def authenticate(self) -> dict[str, str]:
        raw = f"{self.config.settings['username']}:{self.config.secrets.get('password', '')}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    def check(self) -> CheckResult:
        def probe() -> str:
            sites = self.field(self.json(self.request("GET", f"{WMI}/SMS_Site", safe=True)), "value")
            return f"site {sites[0].get('SiteCode')} version {sites[0].get('Version')}" if sites else "no site"

        return self.timed_check(probe)

    def _get(self, entity: str, flt: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        url: str | None = f"{WMI}/{entity}"
        params: dict[str, str] | None = {"$filter": flt}
        while url:
            body = self.json(self.request("GET", url, params=params, safe=True))
            rows.extend(self.field(body, "value"))
            url, params = body.get("@odata.nextLink"), None
        return rows

    # ---- publish --------------------------------------------------------------------------

    def publish(self, artifact: Artifact, key: str) -> AppRef:
        marker = self.marker(key)
        title = f"{artifact.name} {artifact.version}"
        sdm = (
            '<?xml version="1.0" encoding="utf-16"?><AppMgmtDigest xmlns="http://schemas.microsoft.com/SystemCenterConfigurationManager/2009/AppMgmtDigest">'
            f"<Application><Title>{title}</Title><SoftwareVersion>{artifact.version}</SoftwareVersion></Application>"
            f'<DeploymentType><Title>{artifact.filename}</Title><Installer Technology="Script">'
            f"<InstallCommandLine>{artifact.install_command or f'msiexec /i {artifact.filename} /qn'}"
            "</InstallCommandLine>"
            f"</Installer></DeploymentType></AppMgmtDigest>"
        )
        body = {
            "LocalizedDisplayName": title,
            "LocalizedDescription": f"Published by Fleetgate. sha256 {artifact.sha256}. {marker}",
            "SoftwareVersion": artifact.version,
            "Manufacturer": artifact.publisher,
            "SDMPackageXML": sdm,
        }
        row = self.json(
            self.request(
                "POST",
                f"{WMI}/SMS_Application",
                json_body=body,
                dry={**body, "CI_ID": 0, "PackageID": "DRY00000"},
                dry_status=201,
            )
        )
        ref = self._ref(row, artifact)
        self._distribute(ref.attributes["package_id"])
        return ref

    def _ref(self, row: dict[str, Any], artifact: Artifact) -> AppRef:
        return AppRef(
            self.kind,
            str(self.field(row, "CI_ID")),
            artifact.name,
            artifact.version,
            {"package_id": str(self.field(row, "PackageID")), "title": str(row.get("LocalizedDisplayName", ""))},
        )

    def _distribute(self, package_id: str) -> None:
        name = str(self.config.settings.get("dp_group", "All Distribution Points"))
        groups = (
            [{"GroupID": "{dry-run}"}]
            if self.config.dry_run
            else self._get("SMS_DistributionPointGroup", f"Name eq '{_q(name)}'")
        )
        if not groups:
            raise Permanent(f"sccm: no distribution point group named '{name}'")
        self.request(
            "POST",
            f"{WMI}/SMS_DistributionPointGroup('{groups[0]['GroupID']}')/AdminService.AddPackages",
            json_body={"PackageIDs": [package_id]},
            dry={"ReturnValue": 0},
        )

    def find_published(self, artifact: Artifact, key: str) -> AppRef | None:
        rows = self._get("SMS_Application", f"contains(LocalizedDescription,'{self.marker(key)}')")
        if not rows:
            return None
        ref = self._ref(rows[0], artifact)
        self._distribute(ref.attributes["package_id"])  # idempotent: the crash may have come before it
        return ref

    # ---- deployments ----------------------------------------------------------------------

    def _collection(self, group: RingGroup) -> str:
        if group.external_id:
            return group.external_id
        rows = self._get("SMS_Collection", f"Name eq '{_q(group.name)}'")
        if not rows:
            raise Permanent(f"sccm: no collection named '{group.name}'")
        return str(rows[0]["CollectionID"])

    def _deploy(
        self, app: AppRef, collection: str, group: RingGroup, config_type: int, key: str, op: str
    ) -> OperationResult:
        marker = self.marker(key)
        body = {
            "AssignmentName": f"Fleetgate {app.name} {app.version} -> {group.name} [{marker}]",
            "AssignmentDescription": marker,
            "ApplicationName": app.attributes.get("title", f"{app.name} {app.version}"),
            "AssignedCIs": [int(app.external_id)],
            "TargetCollectionID": collection,
            "CollectionName": group.name,
            "OfferTypeID": 0,
            "DesiredConfigType": config_type,
            "OfferFlags": 0,
            "NotifyUser": False,
            "UserUIExperience": False,
            "StartTime": "20250101000000.000000+***",
            "EnforcementDeadline": "20250101000000.000000+***",
            "Enabled": True,
        }
        row = self.json(
            self.request(
                "POST", f"{WMI}/SMS_ApplicationAssignment", json_body=body, dry={"AssignmentID": 0}, dry_status=201
            )
        )
        return OperationResult(op, str(self.field(row, "AssignmentID")), correlation=marker)

    def assign(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult:
        config_type = 2 if intent.action == "uninstall" else 1
        return self._deploy(app, self._collection(group), group, config_type, key, "assign")

    def find_assignment(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult | None:
        rows = self._get("SMS_ApplicationAssignment", f"AssignmentDescription eq '{self.marker(key)}'")
        return OperationResult("assign", str(rows[0]["AssignmentID"]), correlation=self.marker(key)) if rows else None

    def _deployments(self, app: AppRef, collection: str, config_type: int | None) -> list[dict[str, Any]]:
        flt = f"TargetCollectionID eq '{collection}'"
        if config_type is not None:
            flt += f" and DesiredConfigType eq {config_type}"
        rows = self._get("SMS_ApplicationAssignment", flt)
        return [r for r in rows if int(app.external_id) in (r.get("AssignedCIs") or [])]

    def retire(self, app: AppRef, group: RingGroup, key: str) -> OperationResult:
        collection = self._collection(group)
        removed = [] if self.config.dry_run else self._deployments(app, collection, 1)
        for row in removed:
            self.request("DELETE", f"{WMI}/SMS_ApplicationAssignment({row['AssignmentID']})", dry_status=204)
        result = self._deploy(app, collection, group, 2, key, "retire")
        return OperationResult(
            "retire",
            result.external_id,
            correlation=result.correlation,
            detail={"removed": [r["AssignmentID"] for r in removed]},
        )

    def observe(self, app: AppRef, group: RingGroup) -> ObserveResult:
        tally = Tally(page_size=self.config.page_size)
        deployments = self._deployments(app, self._collection(group), None)
        if not deployments:
            return tally.result()
        latest = max(deployments, key=lambda r: int(r["AssignmentID"]))
        action = "uninstall" if latest.get("DesiredConfigType") == 2 else "install"
        url: str | None = f"{WMI}/SMS_AppDeploymentAssetDetails"
        params: dict[str, str] | None = {"$filter": f"AssignmentID eq {latest['AssignmentID']}"}
        while url:
            body = self.json(self.request("GET", url, params=params, safe=True))
            tally.pages_read += 1
            for row in self.field(body, "value"):
                code = int(row.get("AppStatusType", 4))
                state = STATUS.get(code, "pending")
                if state == "installed" and action == "uninstall":
                    state = "not_installed"
                detail = error_code(row.get("ErrorCode")) if state == "failed" else ""
                tally.add(
                    DeviceStatus(
                        str(row.get("MachineID")),
                        str(row.get("MachineName", "")),
                        state,
                        detail or f"AppStatusType {code}",
                    )
                )
            url, params = body.get("@odata.nextLink"), None
        return tally.result(action)

    def group_size(self, group: RingGroup) -> int:
        flt = f"CollectionID eq '{_q(group.external_id)}'" if group.external_id else f"Name eq '{_q(group.name)}'"
        rows = self._get("SMS_Collection", flt)
        if not rows:
            raise Permanent(f"sccm: no collection named '{group.external_id or group.name}'")
        return int(rows[0].get("MemberCount") or 0)

    def inventory(self, group: RingGroup) -> list[InventoryItem]:
        collection = self._collection(group)
        items = []
        for row in self._get("SMS_ApplicationAssignment", f"TargetCollectionID eq '{collection}'"):
            name, _, version = str(row.get("ApplicationName", "")).rpartition(" ")
            for ci in row.get("AssignedCIs") or []:
                intent = (
                    "uninstall"
                    if row.get("DesiredConfigType") == 2
                    else "available"
                    if row.get("OfferTypeID") == 2
                    else "install"
                )
                items.append(InventoryItem(str(ci), name, version, intent, group.name))
        return items
