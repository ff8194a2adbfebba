"""Jamf Pro, simulated: computer inventory (Jamf Pro API) and user bearer tokens.

`GET /api/v3/computers-inventory` (and the deprecated `/api/v1/computers-inventory`): `section`
repeated or comma-separated (GENERAL, APPLICATIONS, GROUP_MEMBERSHIPS; a section not asked for is
null), `page` / `page-size` (at most 2000), `sort` (`id:asc` / `id:desc`, `general.name`), RSQL
`filter` with `==`, `!=`, `=in=(...)` and `=out=(...)` on `id`, `udid` and `general.name`, joined by `;` (and).
A malformed filter answers 400 `INVALID_RSQL_FILTER` in the Jamf Pro API error body.

A computer's `general.reportDate` is its last inventory report: the enrollment date until it runs a
policy that updates inventory (`maintenance/recon`), then when the device reported in the fleet model
(the simulator's clock is aligned with the first policy's activation date, see `epoch`). Its
`applications` follow the policies it ran: an Install puts `<app>.app` at the package's version, an
uninstall takes it away.

`POST /api/v1/auth/token` (HTTP Basic) answers `{"token", "expires"}`; `POST /api/v1/auth/keep-alive`
renews a token, `POST /api/v1/auth/invalidate-token` revokes it (204).
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fleetsim.server import json_response

ENROLLED = 1735689600.0  # 2025-01-01T00:00:00Z: when every simulated Mac enrolled
SECTIONS = ("GENERAL", "APPLICATIONS", "GROUP_MEMBERSHIPS", "HARDWARE", "OPERATING_SYSTEM")
FILTER_FIELDS = ("id", "udid", "general.name")
TERM = re.compile(r"^(id|udid|general\.name)(==|!=|=in=|=out=)(.+)$")
MAX_PAGE = 2000
# A package record as the Jamf Pro API answers it: every field, the unset ones at Jamf's defaults.
PACKAGE_DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(
        [
            "info",
            "notes",
            "osRequirements",
            "selfHealingAction",
            "serialNumber",
            "parentPackageId",
            "basePath",
            "installLanguage",
            "md5",
            "sha256",
            "hashType",
            "hashValue",
            "size",
            "osInstallerVersion",
            "manifest",
            "manifestFileName",
            "format",
        ]
    ),
    **dict.fromkeys(
        [
            "fillUserTemplate",
            "indexed",
            "fillExistingUsers",
            "swu",
            "rebootRequired",
            "selfHealNotify",
            "osInstall",
            "suppressUpdates",
            "ignoreConflicts",
            "suppressFromDock",
            "suppressEula",
            "suppressRegistration",
        ],
        False,
    ),
    "cloudTransferStatus": "NONE",
}


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_filter(text: str) -> Callable[[dict[str, str]], bool] | None:
    """An RSQL filter as a predicate over {"id", "udid", "general.name"}; None when malformed."""
    if not text:
        return lambda row: True
    terms = []
    for part in text.split(";"):
        m = TERM.match(part.strip())
        if m is None:
            return None
        field, op, raw = m.groups()
        if op in ("=in=", "=out="):
            if not (raw.startswith("(") and raw.endswith(")")):
                return None
            values = {v.strip().strip('"') for v in raw[1:-1].split(",") if v.strip()}
        else:
            values = {raw.strip().strip('"')}
        terms.append((field, op, values))

    def match(row: dict[str, str]) -> bool:
        for field, op, values in terms:
            hit = any(_like(row[field], v) for v in values)
            if hit == (op in ("!=", "=out=")):
                return False
        return True

    return match


def _like(value: str, pattern: str) -> bool:
    if "*" not in pattern:
        return value == pattern
    return re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), value) is not None


class JamfInventory:
    """Mixed into JamfSim: the computer inventory and the user token endpoints."""

    credentials: Any
    fleet: Any
    tokens: dict[str, float]
    token_lifetime: int
    policies: dict[int, dict[str, Any]]
    packages: dict[int, dict[str, Any]]
    deployments: dict[int, Any]
    issue_token: Callable[[], str]
    bearer_ok: Callable[[Request], bool]
    cached: Callable[..., Any]
    _auth: Callable[[Request], Response | None]
    _cid: Callable[[str, int], int]

    epoch_offset: float | None = None

    @property
    def group_ids(self) -> dict[str, int]:
        raise NotImplementedError  # JamfSim: ring group name -> static computer group id

    def epoch(self, sim_time: float) -> float:
        """Simulated fleet time as an epoch: aligned with the clock of the first policy's activation
        date (a client's clock may be a test's fake clock), else with this machine's clock."""
        if self.epoch_offset is None:
            self.epoch_offset = time.time() - self.fleet.now()
        return self.epoch_offset + sim_time

    def align_clock(self, activation: float) -> None:
        if self.epoch_offset is None:
            self.epoch_offset = activation - self.fleet.now()

    def inventory_rules(self) -> list[Rule]:
        return [
            Rule("/api/v1/computers-inventory", methods=["GET"], endpoint="computers_inventory"),
            Rule("/api/v3/computers-inventory", methods=["GET"], endpoint="computers_inventory"),
            Rule("/api/v1/auth/token", methods=["POST"], endpoint="user_token"),
            Rule("/api/v1/auth/keep-alive", methods=["POST"], endpoint="keep_alive"),
            Rule("/api/v1/auth/invalidate-token", methods=["POST"], endpoint="invalidate_token"),
        ]

    # ---- tokens -------------------------------------------------------------------------

    def _token_body(self, token: str) -> Response:
        return json_response({"token": token, "expires": iso(self.tokens[token])})

    def user_token(self, request: Request) -> Response:
        from fleetsim.jamf import jamf_error

        header = request.headers.get("Authorization", "")
        try:
            user, _, password = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
        except ValueError:
            user = password = ""
        if not header.startswith("Basic ") or (user, password) != (
            self.credentials.client_id,
            self.credentials.client_secret,
        ):
            return jamf_error(401, "INVALID_CREDENTIALS", "Unauthorized")
        return self._token_body(self.issue_token())

    def keep_alive(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        old = request.headers["Authorization"].removeprefix("Bearer ").strip()
        self.tokens.pop(old, None)
        return self._token_body(self.issue_token())

    def invalidate_token(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        self.tokens.pop(request.headers["Authorization"].removeprefix("Bearer ").strip(), None)
        return Response(status=204)

    # ---- inventory ----------------------------------------------------------------------

    def _app_of(self, package_id: int) -> tuple[str, str]:
        label = str(self.packages.get(package_id, {}).get("packageName", ""))
        name, _, version = label.rpartition(" ")
        return (name or label), version

    def _records(self, group: str) -> list[dict[str, Any]]:
        """Every computer of the group with its report date and its applications."""
        devices = self.fleet.devices(group)
        runs = sorted(  # what a Mac ran stays on it: a policy disabled or unscoped later uninstalls nothing
            (d.assigned_at, pid, d) for pid, d in self.deployments.items() if pid in self.policies and d.group == group
        )
        rows = []
        for device in devices:
            report, apps = ENROLLED, {}
            for _, pid, deployment in runs:
                state = self.fleet.state(deployment, device)
                if state == "pending":
                    continue
                policy = self.policies[pid]
                if policy.get("recon", True):
                    report = max(report, self.epoch(self.fleet.reported_at(deployment, device)))
                for package_id, action in policy["packages"]:
                    name, version = self._app_of(package_id)
                    if state == "installed" and action.lower() == "install":
                        apps[name] = version
                    elif state == "not_installed":
                        apps.pop(name, None)
                if state == "not_installed":
                    for name in policy.get("removes", ()):
                        apps.pop(name, None)
            rows.append({"device": device, "cid": self._cid(group, device.index), "report": report, "apps": apps})
        return rows

    def _computer(self, row: dict[str, Any], sections: set[str], group: str) -> dict[str, Any]:
        device = row["device"]
        out: dict[str, Any] = {"id": str(row["cid"]), "udid": device.id.upper()}
        for section in SECTIONS:
            key = {
                "GENERAL": "general",
                "APPLICATIONS": "applications",
                "GROUP_MEMBERSHIPS": "groupMemberships",
                "HARDWARE": "hardware",
                "OPERATING_SYSTEM": "operatingSystem",
            }[section]
            out[key] = None
        if "GENERAL" in sections:
            out["general"] = {
                "name": device.name,
                "platform": "Mac",
                "reportDate": iso(row["report"]),
                "lastContactTime": iso(row["report"]),
                "lastEnrolledDate": iso(ENROLLED),
                "remoteManagement": {"managed": True},
                "supervised": False,
            }
        if "APPLICATIONS" in sections:
            out["applications"] = [
                {
                    "name": f"{name}.app",
                    "path": f"/Applications/{name}.app",
                    "version": version,
                    "macAppStore": False,
                    "sizeMegabytes": 42,
                    "bundleId": "com.fleetsim." + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
                    "updateAvailable": False,
                    "externalVersionId": "0",
                }
                for name, version in sorted(row["apps"].items())
            ]
        if "GROUP_MEMBERSHIPS" in sections:
            out["groupMemberships"] = [{"groupId": str(self.group_ids[group]), "groupName": group, "smartGroup": False}]
        if "HARDWARE" in sections:
            out["hardware"] = {"serialNumber": device.serial, "make": "Apple", "model": "MacBook Pro"}
        if "OPERATING_SYSTEM" in sections:
            out["operatingSystem"] = {"name": "macOS", "version": "15.1"}
        return out

    def computers_inventory(self, request: Request) -> Response:
        from fleetsim.jamf import jamf_error

        if (denied := self._auth(request)) is not None:
            return denied
        sections = {s.strip() for v in request.args.getlist("section") for s in v.split(",") if s.strip()} or {
            "GENERAL"
        }
        if "ALL" in sections:
            sections = set(SECTIONS)
        unknown = sorted(sections - set(SECTIONS))
        if unknown:
            return jamf_error(400, "INVALID_FIELD", f"Unknown section(s): {', '.join(unknown)}", "section")
        predicate = parse_filter(request.args.get("filter", ""))
        if predicate is None:
            return jamf_error(
                400, "INVALID_RSQL_FILTER", f"Invalid RSQL filter: {request.args.get('filter')}", "filter"
            )
        try:
            page, size = int(request.args.get("page", 0)), int(request.args.get("page-size", 100))
        except ValueError:
            return jamf_error(400, "INVALID_FIELD", "page and page-size are integers", "page")
        if page < 0 or not 1 <= size <= MAX_PAGE:
            return jamf_error(400, "INVALID_FIELD", f"page-size must be between 1 and {MAX_PAGE}", "page-size")
        sort = request.args.get("sort", "general.name:asc")
        field, _, direction = sort.partition(":")
        if field not in ("id", "general.name") or direction not in ("", "asc", "desc"):
            return jamf_error(400, "INVALID_SORT", f"Invalid sort: {sort}", "sort")
        matched = []
        for group in self.group_ids:
            for row in self.cached(("jamf-inventory", group), lambda g=group: self._records(g)):
                keys = {"id": str(row["cid"]), "udid": row["device"].id.upper(), "general.name": row["device"].name}
                if predicate(keys):
                    matched.append((row, group))
        key = (lambda rg: rg[0]["cid"]) if field == "id" else (lambda rg: rg[0]["device"].name)
        matched.sort(key=key, reverse=direction == "desc")
        chunk = matched[page * size : (page + 1) * size]
        return json_response(
            {"totalCount": len(matched), "results": [self._computer(row, sections, group) for row, group in chunk]}
        )


def epoch_ms(value: str | None, default: float) -> float:
    """A Classic API `*_epoch` value (milliseconds) as epoch seconds."""
    try:
        return int(value or "") / 1000.0
    except ValueError:
        return default
