"""Microsoft Configuration Manager (SCCM / MECM) through the AdminService.

API: the **AdminService WMI route** (`/AdminService/wmi/…`, OData v4 over HTTPS) of Configuration
Manager current branch 2309+, checked 2026-12-02 against Microsoft Learn: "What is the
administration service in Configuration Manager?", "How to use the administration service in
Configuration Manager", and the SMS Provider WMI server class references SMS_Application
(SDMPackageXML read/write and lazy; LocalizedDisplayName, LocalizedDescription, Manufacturer,
SoftwareVersion, PackageID, ModelName read-only, derived from the digest), SMS_Identification
(ThisSiteID: the authoring scope), SMS_Collection, SMS_DistributionPointGroup (AddPackages),
SMS_ApplicationAssignment and SMS_AppDeploymentAssetDetails.

Requests: `SMS_Identification` (the site GUID, once); `POST SMS_Application {"SDMPackageXML"}` with
the application digest of `sccm_digest.py` (identity AuthoringScopeId + LogicalName from the key, a
Script deployment type with its content location, commands and detection script, the marker in the
Description); `GET SMS_Application({CI_ID})` for the lazy PackageID; then
`SMS_DistributionPointGroup('{id}')/AdminService.AddPackages`. Deployments are
`SMS_ApplicationAssignment` (DesiredConfigType 1 install / 2 uninstall, OfferTypeID 0 required);
status is `SMS_AppDeploymentAssetDetails` (AppStatusType 1 success, 2 in progress, 3 requirements
not met, 4 unknown, 5 error), paged with `@odata.nextLink`. Crash recovery finds the application by
`ModelName eq '<scope>/<logical name>'` (the names derive from the key) and checks the marker in its
digest; deployments by `AssignmentDescription eq '<marker>'`.

Content: before the create, the artifact is written into `<content_share>\\Fleetgate\\<name>\\<version>_<id>\\`
(the UNC folder the deployment type's Content/Location names) through `content_mount`, the local
mount point of that share (e.g. a CIFS mount); the SMS Provider reads it from there when it
distributes. Settings: `username` (DOMAIN\\user), `content_share` (\\\\server\\share[\\folder]),
`content_mount`, `dp_group`; secret `password`.

Authentication: Windows integrated authentication, Negotiate (Kerberos when a Kerberos library and
ticket are present, else NTLM) or NTLM, per connection (`negotiate.py`, pyspnego); never Basic.

observe() follows the app's latest deployment to the collection, install or uninstall (after
retire() it is the uninstall one: AppStatusType 1 then means removed, `not_installed`); a failed
device's detail is its ErrorCode rendered by `error_code()` ("1603" for 0x80070643).
"""

from __future__ import annotations

from typing import Any

from fleetgate.connectors import group_lists
from fleetgate.connectors import sccm_digest as digest
from fleetgate.connectors.base import (
    AppRef,
    Artifact,
    CheckResult,
    Connector,
    ConnectorConfig,
    DeviceStatus,
    IntentRef,
    InventoryItem,
    ObserveResult,
    OperationResult,
    Permanent,
    PlaneGroup,
    RingGroup,
    Runtime,
    SchemaMismatch,
    Tally,
    error_code,
)
from fleetgate.connectors.negotiate import NegotiateAuth

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

    def __init__(self, config: ConnectorConfig, runtime: Runtime | None = None) -> None:
        super().__init__(config, runtime)
        self.http.auth = NegotiateAuth(str(config.settings.get("username", "")), config.secrets.get("password", ""))
        self._site: tuple[str, str] = ("", "")  # (ThisSiteID, ThisSiteCode) of SMS_Identification

    def authenticate(self) -> dict[str, str]:
        return {}  # Negotiate/NTLM runs inside the HTTP client, per connection (NegotiateAuth)

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

    def _instance(self, entity: str, key: int) -> dict[str, Any]:
        """One instance by its key, with its lazy properties (a query leaves them out)."""
        body = self.json(self.request("GET", f"{WMI}/{entity}({key})", safe=True))
        rows = body.get("value") if isinstance(body, dict) and "value" in body else [body]
        if not rows or not isinstance(rows[0], dict):
            raise SchemaMismatch(f"sccm: {entity}({key}) answered without the instance")
        return rows[0]

    # ---- publish --------------------------------------------------------------------------

    def _identification(self) -> tuple[str, str]:
        if not self._site[0]:
            rows = self.field(self.json(self.request("GET", f"{WMI}/SMS_Identification", safe=True)), "value")
            if not rows:
                raise SchemaMismatch("sccm: SMS_Identification has no instance")
            self._site = (str(self.field(rows[0], "ThisSiteID")), str(self.field(rows[0], "ThisSiteCode")))
        return self._site

    def _identity(self, key: str) -> digest.Identity:
        return digest.Identity.of(self._identification()[0], key)

    def _content(self) -> tuple[str, str]:
        share = str(self.config.settings.get("content_share", "")).strip()
        mount = str(self.config.settings.get("content_mount", "")).strip()
        if not share or not mount:
            raise Permanent(
                "sccm: settings.content_share (the UNC content source share) and settings.content_mount "
                "(where this host mounts it) are needed to publish"
            )
        return share, mount

    def publish(self, artifact: Artifact, key: str) -> AppRef:
        share, mount = self._content()
        identity = self._identity(key)
        location = digest.content_folder(share, artifact, identity)
        size = artifact.size
        if not self.config.dry_run:
            size = digest.place(artifact, digest.local_path(share, mount, location))
        body = {"SDMPackageXML": digest.build(artifact, identity, location, size, self.marker(key))}
        try:
            response = self.request(
                "POST",
                f"{WMI}/SMS_Application",
                json_body=body,
                dry={
                    "CI_ID": 0,
                    "ModelName": identity.model_name,
                    "LocalizedDisplayName": f"{artifact.name} {artifact.version}",
                },
                dry_status=201,
            )
        except Permanent as exc:
            # 409: an earlier attempt with this key (answered too late, or a worker that lost its lease)
            # created it already; it is ours when it carries our logical name and marker
            if exc.status == 409 and (mine := self.find_published(artifact, key)) is not None:
                return mine
            raise
        row = self.json(response)
        ci = int(self.field(row, "CI_ID"))
        full = {**row, "PackageID": "DRY00000"} if self.config.dry_run else self._instance("SMS_Application", ci)
        ref = self._ref(full, artifact)
        self._distribute(ref.attributes["package_id"])
        return ref

    def _ref(self, row: dict[str, Any], artifact: Artifact) -> AppRef:
        return AppRef(
            self.kind,
            str(self.field(row, "CI_ID")),
            artifact.name,
            artifact.version,
            {
                "package_id": str(self.field(row, "PackageID")),
                "title": str(row.get("LocalizedDisplayName", "")),
                "model_name": str(row.get("ModelName", "")),
            },
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
        identity = self._identity(key)
        rows = self._get("SMS_Application", f"ModelName eq '{_q(identity.model_name)}' and IsLatest eq true")
        for row in rows:
            full = self._instance("SMS_Application", int(self.field(row, "CI_ID")))
            if self.marker(key) in str(full.get("SDMPackageXML", "")):
                ref = self._ref(full, artifact)
                self._distribute(ref.attributes["package_id"])  # idempotent: the crash may have come before it
                return ref
        return None

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
            "AssignmentAction": 2,  # apply
            "SourceSite": self._identification()[1],
            "LocaleID": 1033,
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

    def list_groups(self, search: str = "", limit: int = 50) -> list[PlaneGroup]:
        return group_lists.sccm(self, search, limit)

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
