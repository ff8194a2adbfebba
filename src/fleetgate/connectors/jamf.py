"""Jamf Pro.

Targets the **Jamf Pro API v1** for what lives there (OAuth client credentials at
`POST /api/oauth/token`, `GET /api/v1/jamf-pro-version`, `GET|POST /api/v1/packages` with
`page`/`page-size`/RSQL `filter`, `POST /api/v1/packages/{id}/upload`) and the **Classic API**
(`/JSSResource`, XML) for what still only lives there: policies (`policies/id/0` to create,
`policies/id/{id}` PUT, `policies/name/{name}`), static computer groups
(`computergroups/name/{name}`) and policy logs per computer
(`computerhistory/id/{id}/subset/PolicyLogs`).

Reference used: Jamf Pro API reference (developer.jamf.com, "Jamf Pro API" and "Classic API"
sections; "Client Credentials" authentication recipe) for Jamf Pro 11.x.

Correlation: packages carry the marker in `notes`; policies have no notes field, so the marker
is the last token of the policy name (`Fleetgate <app> <version> -> <group> [fleetgate:…]`),
looked up with `policies/name/{name}`. Jamf answers 423 (locked) while a record is being
written elsewhere; it is Transient here.

observe() reads each of the app's policies on the group (its package action: Install or
Uninstall) and every member's latest policy log among them: Completed under an Uninstall policy is
`not_installed`; a Failed log's detail is the installer's exit code from the log text
(`(exit code: 1603)` -> "1603", "timed out" -> "timeout").
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import quote
from xml.sax.saxutils import escape

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

XML = {"Content-Type": "application/xml", "Accept": "application/xml"}
EXIT_CODE = re.compile(r"exit code:?\s*([0-9A-Fa-fx]+)")


class JamfConnector(Connector):
    kind = "jamf"
    default_platforms = ("macos", "ios")
    label = "Jamf Pro"
    api_version = "Jamf Pro API v1 + Classic API (Jamf Pro 11)"
    required_settings = ("client_id",)
    required_secrets = ("client_secret",)

    def fetch_token(self) -> tuple[str, float]:
        body = self.json(
            self.request(
                "POST",
                "/api/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": str(self.config.settings["client_id"]),
                    "client_secret": self.config.secrets.get("client_secret", ""),
                },
                auth=False,
                safe=True,
            )
        )
        return str(self.field(body, "access_token")), float(body.get("expires_in", 1199))

    def check(self) -> CheckResult:
        return self.timed_check(
            lambda: (
                "Jamf Pro "
                + str(self.field(self.json(self.request("GET", "/api/v1/jamf-pro-version", safe=True)), "version"))
            )
        )

    # ---- publish --------------------------------------------------------------------------

    def publish(self, artifact: Artifact, key: str) -> AppRef:
        body = {
            "packageName": f"{artifact.name} {artifact.version}",
            "fileName": artifact.filename,
            "categoryId": "-1",
            "priority": 10,
            "fillUserTemplate": False,
            "rebootRequired": False,
            "osInstall": False,
            "suppressUpdates": False,
            "suppressFromDock": False,
            "suppressEula": False,
            "suppressRegistration": False,
            "notes": self.marker(key),
            "info": f"Published by Fleetgate; sha256 {artifact.sha256}",
        }
        created = self.json(self.request("POST", "/api/v1/packages", json_body=body, dry={"id": "0"}, dry_status=201))
        package_id = str(self.field(created, "id"))
        self._upload(package_id, artifact)
        return AppRef(
            self.kind, package_id, artifact.name, artifact.version, {"package_name": str(body["packageName"])}
        )

    def _upload(self, package_id: str, artifact: Artifact) -> None:
        content = b"".join(artifact.chunks())
        self.request(
            "POST",
            f"/api/v1/packages/{package_id}/upload",
            files={"file": (artifact.filename, content)},
            dry_status=201,
        )

    def find_published(self, artifact: Artifact, key: str) -> AppRef | None:
        body = self.json(
            self.request(
                "GET",
                "/api/v1/packages",
                params={"page": 0, "page-size": 10, "filter": f'notes=="{self.marker(key)}"'},
                safe=True,
            )
        )
        for row in body.get("results") or []:
            return AppRef(
                self.kind,
                str(row["id"]),
                artifact.name,
                artifact.version,
                {"package_name": str(row.get("packageName", ""))},
            )
        return None

    # ---- assign / retire ------------------------------------------------------------------

    def _prefix(self, app: AppRef, group: RingGroup) -> str:
        return f"Fleetgate {app.name} {app.version} -> {group.name} "

    def _group(self, group: RingGroup) -> ET.Element:
        return self._xml(
            self.request(
                "GET", f"/JSSResource/computergroups/name/{quote(group.name, safe='')}", headers=XML, safe=True
            ).text
        )

    def _xml(self, text: str) -> ET.Element:
        try:
            return ET.fromstring(text)  # noqa: S314 (the plane's own response, no entities expanded by ElementTree)
        except ET.ParseError as exc:
            raise SchemaMismatch(f"jamf: expected XML, got {text[:120]!r}") from exc

    def assign(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult:
        group_id = group.external_id or (self._group(group).findtext("id") or "")
        name = f"{self._prefix(app, group)}[{self.marker(key)}]"
        action = "Uninstall" if intent.action == "uninstall" else "Install"
        xml = (
            f"<policy><general><name>{escape(name)}</name><enabled>true</enabled><trigger_checkin>true</trigger_checkin>"
            f"<frequency>Once per computer</frequency></general>"
            f"<scope><all_computers>false</all_computers><computer_groups><computer_group><id>{group_id}</id>"
            f"</computer_group></computer_groups></scope>"
            f"<package_configuration><packages><size>1</size><package><id>{app.external_id}</id><action>{action}</action>"
            f"</package></packages></package_configuration></policy>"
        )
        response = self.request(
            "POST",
            "/JSSResource/policies/id/0",
            content=xml,
            headers=XML,
            dry="<policy><id>0</id></policy>",
            dry_status=201,
        )
        policy_id = self._xml(response.text).findtext("id") or ""
        return OperationResult("assign", policy_id, correlation=self.marker(key), detail={"policy": name})

    def find_assignment(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult | None:
        name = f"{self._prefix(app, group)}[{self.marker(key)}]"
        try:
            response = self.request("GET", f"/JSSResource/policies/name/{quote(name, safe='')}", headers=XML, safe=True)
        except Permanent as exc:
            if exc.status == 404:
                return None
            raise
        return OperationResult(
            "assign", self._xml(response.text).findtext("general/id") or "", correlation=self.marker(key)
        )

    def _policies_for(self, app: AppRef, group: RingGroup) -> list[str]:
        root = self._xml(self.request("GET", "/JSSResource/policies", headers=XML, safe=True).text)
        prefix = self._prefix(app, group)
        return [p.findtext("id") or "" for p in root.findall("policy") if (p.findtext("name") or "").startswith(prefix)]

    def retire(self, app: AppRef, group: RingGroup, key: str) -> OperationResult:
        ids = [] if self.config.dry_run else self._policies_for(app, group)
        xml = "<policy><general><enabled>false</enabled></general><scope><computer_groups/></scope></policy>"
        for policy_id in ids or ["{policy}"]:
            self.request(
                "PUT",
                f"/JSSResource/policies/id/{policy_id}",
                content=xml,
                headers=XML,
                dry="<policy><id>0</id></policy>",
                dry_status=201,
            )
        return OperationResult("retire", ",".join(ids), correlation=self.marker(key), detail={"disabled": len(ids)})

    # ---- observe / inventory --------------------------------------------------------------

    def observe(self, app: AppRef, group: RingGroup) -> ObserveResult:
        tally = Tally(page_size=self.config.page_size)
        actions = {pid: self._policy_action(pid) for pid in self._policies_for(app, group)}
        action = actions[max(actions, key=int)] if actions else "install"
        members = self._group(group)
        tally.pages_read += 1
        for computer in members.findall("computers/computer"):
            cid, name = computer.findtext("id") or "", computer.findtext("name") or ""
            history = self._xml(
                self.request(
                    "GET", f"/JSSResource/computerhistory/id/{cid}/subset/PolicyLogs", headers=XML, safe=True
                ).text
            )
            tally.pages_read += 1
            logs = [
                log for log in history.findall("policy_logs/policy_log") if (log.findtext("policy_id") or "") in actions
            ]
            if not logs:
                tally.add(DeviceStatus(cid, name, "pending", "no policy log yet"))
                continue
            latest = max(logs, key=lambda log: int(log.findtext("date_completed_epoch") or 0))
            status = latest.findtext("status") or ""
            if actions[latest.findtext("policy_id") or ""] != action:
                tally.add(DeviceStatus(cid, name, "pending", f"no {action} policy log yet"))
            elif status == "Completed":
                done = "not_installed" if actions[latest.findtext("policy_id") or ""] == "uninstall" else "installed"
                tally.add(DeviceStatus(cid, name, done, status))
            else:
                text = latest.findtext("log") or ""
                found = EXIT_CODE.search(text)
                code = error_code(found.group(1) if found else None, text)
                tally.add(DeviceStatus(cid, name, "failed", code or status))
        return tally.result(action)

    def _policy_action(self, policy_id: str) -> str:
        policy = self._xml(self.request("GET", f"/JSSResource/policies/id/{policy_id}", headers=XML, safe=True).text)
        actions = {
            (p.findtext("action") or "").lower() for p in policy.findall("package_configuration/packages/package")
        }
        return "uninstall" if "uninstall" in actions else "install"

    def group_size(self, group: RingGroup) -> int:
        size = self._group(group).findtext("computers/size")
        if size is None:
            raise SchemaMismatch("jamf: the computer group lacks computers/size")
        return int(size)

    def inventory(self, group: RingGroup) -> list[InventoryItem]:
        root = self._xml(self.request("GET", "/JSSResource/policies", headers=XML, safe=True).text)
        items = []
        for row in root.findall("policy"):
            name = row.findtext("name") or ""
            marker = f" -> {group.name} ["
            if not name.startswith("Fleetgate ") or marker not in name:
                continue
            policy = self._xml(
                self.request("GET", f"/JSSResource/policies/id/{row.findtext('id')}", headers=XML, safe=True).text
            )
            if policy.findtext("general/enabled") != "true":
                continue
            label = name.removeprefix("Fleetgate ").split(marker)[0]
            app_name, _, version = label.rpartition(" ")
            for pkg in policy.findall("package_configuration/packages/package"):
                action = (pkg.findtext("action") or "Install").lower()
                items.append(InventoryItem(pkg.findtext("id") or "", app_name, version, action, group.name))
        return items
