"""Canonical Landscape.

Targets the Landscape **legacy API** (`/api/`, `version=2011-08-01`), signed with
HMAC-SHA256 (`signature_method=HmacSHA256`, `signature_version=2`, over "POST", host[:port], path
and the sorted, percent-encoded parameters), sent as a form-encoded POST (`application/x-www-form-
urlencoded` body) for every action, reads included, exactly as the `landscape-api-py3` client and
Canonical's own `landscape-api` client do. Actions used:
GetComputers, AddPackagesToPocket (publish into an upload pocket), InstallPackages /
RemovePackages on a tag query (assign / retire), GetActivities (the operation's per-computer
children), GetPackages (inventory). Paging with `limit` / `offset`.

Reference used (checked 2026-12-02): Landscape documentation, "API" reference (legacy API:
Computers, Packages, Activities, Repositories sections; "Make a request" for the signature), the
"Upload tutorial" and "How to manage repositories with the API" guides, and the action schema the
published client `landscape-api-py3` 0.9.0 ships (`schemas.json`; the contract tests drive the
simulator with that client and check every action and parameter the connector sends against it).
Legacy API "Packages" (docs/reference/api/legacy-api-endpoints/packages.md): InstallPackages and
RemovePackages return "the parent activity created" (`type` ActivityGroup, `parent_id` null, its
`id`). Legacy API "Activities" (legacy-api-endpoints/activities.md): GetActivities takes
space-separated criteria `id:N`, `parent-id:N` ("children activities of a specific ID"), `type:`,
`status:`, `created-after:` ...; a child (ChangePackagesRequest) carries `computer_id` and its
`changes` (`package`, `type` install / remove ...).

Known gap: the legacy API has no AddPackagesToPocket action (the client's schema lacks it).
Landscape takes a new .deb into an upload-mode pocket by a GPG-signed dput upload of a .changes
file (CreatePocket mode=upload, AddUploaderGPGKeysToPocket), or pulls it from another pocket
(PullPackagesToPocket); neither is implemented yet, so publish does not deliver the artifact's
bytes (tests/unit/test_contract_landscape.py holds a strict xfail for it).

Tracking: assign returns the parent activity's id and the engine stores it; observe receives it
back as `RingGroup.assignment_id` and reads exactly that operation's children (`parent-id:<id>`),
never another operation on the same package and tag (an older one, or one an admin started). Only
a caller without a stored id (drift comparison) gets the newest operation whose children change the
app's package on the group's computers, told by the children's `changes` and `computer_id`, not by
summary text. A crashed assign (the id never stored) is found again the same way, by the newest
ActivityGroup whose children install (remove) the package on the tag: activities have no free-text
field to carry a marker. AddPackagesToPocket is idempotent, so a crashed publish is simply redone.

Observing: a child that removes the package and succeeded is `not_installed`; a failed child's
detail is its `result_code` rendered by `error_code()` ("1603"), or "timeout" when its
`result_text` says it timed out. Landscape installs packages by name, so two versions of one
package share their activities. A computer's site class is its `site-<class>` tag
(`site-air-gapped` -> air_gapped).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

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
    RingGroup,
    Tally,
    error_code,
)

STATUS = {"succeeded": "installed", "failed": "failed", "canceled": "not_applicable"}
SITE_TAGS = {"site-online": "online", "site-intermittent": "intermittent", "site-air-gapped": "air_gapped"}


def sign(secret: str, method: str, host: str, path: str, params: dict[str, str]) -> str:
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(params.items()))
    text = "\n".join([method.upper(), host.lower(), path, query])
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()).decode()


class LandscapeConnector(Connector):
    kind = "landscape"
    default_platforms = ("linux",)
    label = "Canonical Landscape"
    api_version = "Landscape legacy API 2011-08-01 (HMAC-SHA256 v2)"
    required_settings = ("access_key_id",)
    required_secrets = ("secret_key",)

    def authenticate(self) -> dict[str, str]:
        return {}

    def call(self, action: str, params: dict[str, str] | None = None, *, safe: bool = False, dry: Any = None) -> Any:
        base = urlsplit(self.config.base_url)
        path = (base.path.rstrip("/") or "") + "/api/"
        signed = {
            "action": action,
            "version": "2011-08-01",
            "access_key_id": str(self.config.settings["access_key_id"]),
            "signature_method": "HmacSHA256",
            "signature_version": "2",
            "timestamp": datetime.fromtimestamp(self.runtime.clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            **(params or {}),
        }
        signed["signature"] = sign(self.config.secrets.get("secret_key", ""), "POST", base.netloc, path, signed)
        # Form-encoded POST, signed as POST, as both published clients send every action (reads too).
        return self.json(self.request("POST", "/api/", data=signed, auth=False, safe=safe, dry=dry))

    def _pages(self, action: str, params: dict[str, str], tally: Tally | None = None) -> Iterator[dict[str, Any]]:
        offset, limit = 0, max(1, self.config.page_size)
        while True:
            rows = self.call(action, {**params, "limit": str(limit), "offset": str(offset)}, safe=True)
            if tally is not None:
                tally.pages_read += 1
            yield from rows
            if len(rows) < limit:
                return
            offset += limit

    def check(self) -> CheckResult:
        return self.timed_check(
            lambda: f"{len(self.call('GetComputers', {'limit': '1'}, safe=True))} computer(s) visible"
        )

    def _package(self, artifact: Artifact) -> str:
        return artifact.package_name or artifact.name.lower().replace(" ", "-")

    def publish(self, artifact: Artifact, key: str) -> AppRef:
        s = self.config.settings
        series, distribution, pocket = (
            str(s.get("series", "jammy")),
            str(s.get("distribution", "ubuntu")),
            str(s.get("pocket", "fleetgate")),
        )
        package = self._package(artifact)
        self.call(
            "AddPackagesToPocket",
            {"series": series, "distribution": distribution, "pocket": pocket, "packages.1": package},
            dry={"name": pocket},
        )
        return AppRef(
            self.kind,
            f"{distribution}/{series}/{pocket}/{package}",
            artifact.name,
            artifact.version,
            {"package": package},
        )

    def find_published(self, artifact: Artifact, key: str) -> AppRef | None:
        return None  # AddPackagesToPocket is idempotent: redo it

    def _tag(self, group: RingGroup) -> str:
        return f"tag:{group.external_id or group.name}"

    def _computers(self, group: RingGroup) -> dict[Any, dict[str, Any]]:
        return {c["id"]: c for c in self._pages("GetComputers", {"query": self._tag(group)})}

    def _parents(self, package: str, change: tuple[str, ...], computers: dict[Any, dict[str, Any]]) -> Iterator[str]:
        """Newest first: the package operations (ActivityGroup parents) whose per-computer children
        change `package` by one of `change` ("install", "remove") on computers of the group, told by
        the children's own `changes` and `computer_id` fields."""
        for parent in self.call("GetActivities", {"query": "type:ActivityGroup", "limit": "100"}, safe=True):
            children = self.call("GetActivities", {"query": f"parent-id:{parent['id']}", "limit": "1"}, safe=True)
            if (
                children
                and children[0].get("computer_id") in computers
                and _changes(children[0], package) & set(change)
            ):
                yield str(parent["id"])

    def _change(self, app: AppRef, group: RingGroup, action: str, op: str, key: str) -> OperationResult:
        package = _package_of(app)
        activity = self.call(action, {"query": self._tag(group), "packages.1": package}, dry={"id": 0})
        return OperationResult(op, str(self.field(activity, "id")), status="accepted", correlation=self.marker(key))

    def assign(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult:
        action = "RemovePackages" if intent.action == "uninstall" else "InstallPackages"
        return self._change(app, group, action, "assign", key)

    def find_assignment(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult | None:
        change = ("remove",) if intent.action == "uninstall" else ("install",)
        found = next(self._parents(_package_of(app), change, self._computers(group)), None)
        return OperationResult("assign", found, "accepted", self.marker(key)) if found else None

    def retire(self, app: AppRef, group: RingGroup, key: str) -> OperationResult:
        return self._change(app, group, "RemovePackages", "retire", key)

    def observe(self, app: AppRef, group: RingGroup) -> ObserveResult:
        tally = Tally(page_size=self.config.page_size)
        package = _package_of(app)
        computers = self._computers(group)
        if group.assignment_id.isdigit():  # the activity our assign created, as the engine stored it
            parent: str | None = group.assignment_id
        else:  # no stored id (a caller without one): the newest operation on the package there
            parent = next(self._parents(package, ("install", "remove"), computers), None)
        if parent is None:
            return tally.result()
        action = "install"
        for child in self._pages("GetActivities", {"query": f"parent-id:{parent}"}, tally):
            removing = "remove" in _changes(child, package)
            action = "uninstall" if removing else action
            status = str(child.get("activity_status", ""))
            state = STATUS.get(status, "pending")
            if state == "installed" and removing:
                state = "not_installed"
            text = str(child.get("result_text") or "")
            detail = error_code(child.get("result_code"), text) if state == "failed" else ""
            computer = computers.get(child.get("computer_id"), {})
            tally.add(
                DeviceStatus(
                    str(child.get("computer_id")),
                    str(computer.get("title") or child.get("computer_id")),
                    state,
                    detail or status + (f": {text}" if text else ""),
                    _site_class(computer.get("tags") or []),
                )
            )
        return tally.result(action)

    def group_size(self, group: RingGroup) -> int:
        return sum(1 for _ in self._pages("GetComputers", {"query": self._tag(group)}))

    def inventory(self, group: RingGroup) -> list[InventoryItem]:
        return [
            InventoryItem(
                str(row.get("name")), str(row.get("name")), str(row.get("version", "")), "install", group.name
            )
            for row in self._pages("GetPackages", {"query": self._tag(group), "installed": "true"})
        ]


def _package_of(app: AppRef) -> str:
    return app.attributes.get("package", app.external_id.rsplit("/", 1)[-1])


def _changes(child: dict[str, Any], package: str) -> set[str]:
    """The change types ("install", "remove", ...) a per-computer activity makes to `package`."""
    return {str(c.get("type")) for c in child.get("changes") or () if c.get("package") == package}


def _site_class(tags: list[str]) -> str:
    for tag in tags:
        if tag in SITE_TAGS:
            return SITE_TAGS[tag]
    return ""
