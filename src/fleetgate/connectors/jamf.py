"""Jamf Pro.

Targets the **Jamf Pro API** (v1, and v3 for computer inventory) for what lives there: OAuth client
credentials at `POST /api/v1/oauth/token` (form-encoded; `/api/oauth/token` is the older path of
the same grant; the default, `settings.auth` "oauth"), or a user account's bearer token
(`settings.auth` "user": `settings.username`, `secrets.password`): `POST /api/v1/auth/token` with
HTTP Basic answers `{"token", "expires"}` (ISO 8601), `POST /api/v1/auth/keep-alive` with the
bearer token invalidates it and answers a new one (used once under a minute is left, as
jamf-pro-sdk's UserCredentialsProvider does), `POST /api/v1/auth/invalidate-token` (204) ends it
when the connector closes; an expired or invalidated token answers 401 (`INVALID_TOKEN`), after
which a new token is requested with Basic. `GET /api/v1/jamf-pro-version`, `GET|POST /api/v1/packages` with
`page`/`page-size`/RSQL `filter`, `POST /api/v1/packages/{id}/upload` (multipart `file`), and
`GET /api/v3/computers-inventory` (`section=GENERAL,APPLICATIONS`, `page`, `page-size`, `sort`,
RSQL `filter=id=in=(...)`; v1 of it is deprecated since 2025-06-30). The **Classic API**
(`/JSSResource`, XML) for what still only lives there: policies (`policies/id/0` to create,
`policies/id/{id}` PUT, `policies/name/{name}`), static computer groups
(`computergroups/name/{name}`) and a computer's policy logs
(`computerhistory/id/{id}/subset/PolicyLogs`).

Reference used (checked 2026-12-02): Jamf Pro API reference, developer.jamf.com ("Jamf Pro API"
and "Classic API" sections, "Client Credentials" recipe, "Deprecation of Classic API Computer
Inventory Endpoints", which recommends computers-inventory with sections, filtering and paging
over per-computer reads), as the published client `jamf-pro-sdk` 0.9a1 calls it (the contract
tests drive the simulator with it), for Jamf Pro 11.x; "Jamf Pro API Overview" (Bearer Tokens:
token, keep-alive, invalidate-token) and the endpoint pages post_v1-auth-token,
post_v1-auth-keep-alive, post_v1-auth-invalidate-token (Jamf Pro 11.14.0 reference).

Correlation: packages carry the marker in `notes`; policies have no notes field, so the marker
is the last token of the policy name (`Fleetgate <app> <version> -> <group> [fleetgate:…]`),
looked up with `policies/name/{name}`. Jamf answers 423 (locked) while a record is being
written elsewhere; it is Transient here.

A policy Fleetgate creates is active from the time of the assignment
(`general/date_time_limitations/activation_date_epoch`, ms) and updates inventory after it runs
(`maintenance/recon`), so the inventory tells what happened. observe() reads the app's policies on
the group (its package action: Install or Uninstall; the newest decides), the group's members once,
then the computer inventory a page of members per request: a Mac listing `<app>.app` at the
version is `installed` (for an uninstall: not listing it is `not_installed`); a Mac whose
`reportDate` is older than the policy's activation is `pending` without any further read. Only a
Mac that reported since and still lacks the expected state costs one policy-log read: its latest
log among the app's policies decides (Completed, or Failed with the installer's exit code from the
log text, `(exit code: 1603)` -> "1603", "timed out" -> "timeout"; none yet: pending).

Retire disables the policy and empties its scope, which uninstalls nothing (as in Jamf); the
rollback plan then assigns an Uninstall policy, or the previous version's Install policy, to the
group (`rollouts/services/rollback.py`), and the inventory shows the app gone or downgraded.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from fleetgate.connectors import group_lists
from fleetgate.connectors.base import (
    AppRef,
    Artifact,
    CheckResult,
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
from fleetgate.connectors.jamf_auth import JamfSignIn, jamf_time

XML = {"Content-Type": "application/xml", "Accept": "application/xml"}
EXIT_CODE = re.compile(r"exit code:?\s*([0-9A-Fa-fx]+)")
INVENTORY_PAGE = 200  # computers per computers-inventory request (an id=in=(...) filter stays short)


class JamfConnector(JamfSignIn):
    kind = "jamf"
    default_platforms = ("macos", "ios")
    label = "Jamf Pro"
    api_version = "Jamf Pro API v1 + Classic API (Jamf Pro 11)"
    required_settings = ("client_id",)
    required_secrets = ("client_secret",)

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
            f"<frequency>Once per computer</frequency><date_time_limitations>"
            f"<activation_date_epoch>{int(self.runtime.clock() * 1000)}</activation_date_epoch></date_time_limitations>"
            f"</general>"
            f"<scope><all_computers>false</all_computers><computer_groups><computer_group><id>{group_id}</id>"
            f"</computer_group></computer_groups></scope>"
            f"<package_configuration><packages><size>1</size><package><id>{app.external_id}</id><action>{action}</action>"
            f"</package></packages></package_configuration><maintenance><recon>true</recon></maintenance></policy>"
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

    def _policy(self, policy_id: str) -> tuple[str, float]:
        """(install | uninstall, activation epoch seconds) of one of Fleetgate's policies."""
        policy = self._xml(self.request("GET", f"/JSSResource/policies/id/{policy_id}", headers=XML, safe=True).text)
        actions = {
            (p.findtext("action") or "").lower() for p in policy.findall("package_configuration/packages/package")
        }
        activation = policy.findtext("general/date_time_limitations/activation_date_epoch") or "0"
        return ("uninstall" if "uninstall" in actions else "install"), int(activation or 0) / 1000.0

    def observe(self, app: AppRef, group: RingGroup) -> ObserveResult:
        """Installed versions from the computer inventory, a page of group members per request;
        policy logs only for the Macs that reported since the policy and still lack the version."""
        tally = Tally(page_size=self.config.page_size)
        policies = {pid: self._policy(pid) for pid in self._policies_for(app, group)}
        if not policies:
            return tally.result()
        action, activation = policies[max(policies, key=int)]
        members = self._group(group).findall("computers/computer")
        tally.pages_read += 1
        size = max(1, min(self.config.page_size, INVENTORY_PAGE))
        for start in range(0, len(members), size):
            ids = [m.findtext("id") or "" for m in members[start : start + size]]
            for computer in self._inventory_page(ids, tally):
                tally.add(self._status(app, computer, action, activation, policies))
        return tally.result(action)

    def _inventory_page(self, ids: list[str], tally: Tally) -> list[dict[str, Any]]:
        body = self.json(
            self.request(
                "GET",
                "/api/v3/computers-inventory",
                params={
                    "section": "GENERAL,APPLICATIONS",  # as jamf-pro-sdk sends it; `section=A&section=B` also works
                    "page": 0,
                    "page-size": len(ids),
                    "sort": "id:asc",
                    "filter": f"id=in=({','.join(ids)})",
                },
                safe=True,
            )
        )
        tally.pages_read += 1
        results = self.field(body, "results")
        if not isinstance(results, list):
            raise SchemaMismatch("jamf: computers-inventory results is not a list")
        return results

    def _status(
        self, app: AppRef, computer: dict[str, Any], action: str, activation: float, policies: dict[str, Any]
    ) -> DeviceStatus:
        cid, general = str(computer.get("id", "")), computer.get("general") or {}
        name = str(general.get("name") or cid)
        versions = {
            str(a.get("version") or "")
            for a in computer.get("applications") or []
            if a.get("name") == f"{app.name}.app"
        }
        if action == "install" and app.version in versions:
            return DeviceStatus(cid, name, "installed", "inventory")
        if action == "uninstall" and not versions:
            return DeviceStatus(cid, name, "not_installed", "inventory")
        if jamf_time(general.get("reportDate")) < activation:
            return DeviceStatus(cid, name, "pending", "no inventory report since the policy")
        return self._from_log(cid, name, action, policies)

    def _from_log(self, cid: str, name: str, action: str, policies: dict[str, Any]) -> DeviceStatus:
        """The Mac reported since the policy without the expected state: its policy log says why."""
        history = self._xml(
            self.request("GET", f"/JSSResource/computerhistory/id/{cid}/subset/PolicyLogs", headers=XML, safe=True).text
        )
        logs = [
            log for log in history.findall("policy_logs/policy_log") if (log.findtext("policy_id") or "") in policies
        ]
        if not logs:
            return DeviceStatus(cid, name, "pending", "no policy log yet")
        latest = max(logs, key=lambda log: int(log.findtext("date_completed_epoch") or 0))
        status = latest.findtext("status") or ""
        if policies[latest.findtext("policy_id") or ""][0] != action:
            return DeviceStatus(cid, name, "pending", f"no {action} policy log yet")
        if status == "Completed":
            return DeviceStatus(cid, name, "not_installed" if action == "uninstall" else "installed", status)
        text = latest.findtext("log") or ""
        found = EXIT_CODE.search(text)
        return DeviceStatus(cid, name, "failed", error_code(found.group(1) if found else None, text) or status)

    def group_size(self, group: RingGroup) -> int:
        size = self._group(group).findtext("computers/size")
        if size is None:
            raise SchemaMismatch("jamf: the computer group lacks computers/size")
        return int(size)

    def list_groups(self, search: str = "", limit: int = 50) -> list[PlaneGroup]:
        return group_lists.jamf(self, search, limit)

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
