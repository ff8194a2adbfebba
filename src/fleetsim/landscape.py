"""Canonical Landscape, simulated: the legacy query API (`/api/`, version 2011-08-01) subset the
Landscape connector uses, with its HMAC-SHA256 signature (signature_version 2) checked exactly,
and the package upload service (`PUT /upload/...`, see `landscape_upload.py`).

Actions: GetComputers, InstallPackages, RemovePackages, GetActivities, GetPackages, and the
repository actions of `landscape_repo.py`; `limit`/`offset` paging; errors as
`{"error": code, "message": text}`. Computers carry their ring group and their site class
(`site-online`, `site-intermittent`, `site-air-gapped`) as tags; each InstallPackages /
RemovePackages creates a parent activity (`ActivityGroup`, returned by the call) with one
`ChangePackagesRequest` child per computer whose status follows the device-fleet model and whose
`changes` name the package and `install` / `remove`; a failed child carries the package
operation's exit status in `result_code` and its output in `result_text`. InstallPackages refuses
(UnknownPackages) a package no pocket of the computers' repository profiles holds. GetActivities
answers `id:`, `parent-id:`, `type:`, `status:` and `created-after:` / `created-before:` (ISO 8601,
as precise as given) criteria (space-separated, all must hold) and keeps every older activity, as
Landscape does. Seeded as an administrator would have it: distribution `ubuntu`, series `jammy`,
upload pocket `fleetgate` (main; amd64, arm64) signed by `mirror-key`, accepting uploads signed by
`fleetgate-uploader` (whose secret key `connection()` hands the connector).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fleetsim.fleet import Deployment, Device
from fleetsim.groups import exit_status
from fleetsim.landscape_repo import RepositoryActions
from fleetsim.landscape_upload import UploadService
from fleetsim.server import Fault, SimApp, json_response

ISO_PREFIX = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2})?)?)?)?)?Z?$")
# created-after / created-before: ISO 8601 strings compare in time order; a coarser value stands for
# the start of its period (`2026-12` is 2026-12-01T00:00:00)
WHEN = {
    "created-after": lambda created, value: created.rstrip("Z") >= value.rstrip("Z"),
    "created-before": lambda created, value: created.rstrip("Z")[: len(value.rstrip("Z"))] < value.rstrip("Z"),
}

CHILD_STATUS = {
    "installed": "succeeded",
    "not_installed": "succeeded",
    "failed": "failed",
    "not_applicable": "canceled",
}


def landscape_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response({"error": code, "message": message}, status, headers)


def canonical_query(params: dict[str, str]) -> str:
    return "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(params.items()) if k != "signature"
    )


def signature(secret: str, method: str, host: str, path: str, params: dict[str, str]) -> str:
    text = "\n".join([method.upper(), host.lower(), path, canonical_query(params)])
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()).decode()


class LandscapeSim(UploadService, RepositoryActions, SimApp):
    plane = "landscape"
    distribution, series, pocket = "ubuntu", "jammy", "fleetgate"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.init_repository()
        self.seed_repository(self.distribution, self.series, self.pocket)
        self.activities: dict[int, dict[str, Any]] = {}
        self.deployments: dict[int, Deployment] = {}
        self.computer_ids: dict[str, Device] = {}

    def rules(self) -> list[Rule]:
        return [
            Rule("/api/", methods=["GET", "POST", "PUT", "DELETE"], endpoint="api"),
            Rule("/upload/<account>/<distribution>/<series>/<pocket>/<file>", methods=["PUT"], endpoint="upload"),
        ]

    def throttled(self, fault: Fault) -> Response:
        return landscape_error(429, "Throttled", "Too many requests.", {"Retry-After": str(fault.retry_after)})

    def unavailable(self) -> Response:
        return landscape_error(503, "Unavailable", "Landscape is temporarily unavailable.")

    def not_found(self, request: Request) -> Response:
        return landscape_error(404, "NotFound", "No such resource.")

    def _computers(self, query: str) -> list[Device] | None:
        if not query:
            return [d for g in self.fleet.group_names() for d in self.fleet.devices(g)]
        if not query.startswith("tag:"):
            return None
        return self.fleet.devices(query.removeprefix("tag:"))

    @staticmethod
    def _tags(device: Device) -> list[str]:
        return [device.group, "site-" + device.site_class.replace("_", "-")]

    @staticmethod
    def _cid(device: Device) -> int:
        return int(device.id.replace("-", "")[:7], 16)

    @staticmethod
    def _numbered(params: dict[str, str], name: str) -> list[str]:
        return [
            params[k]
            for k in sorted((k for k in params if k.startswith(f"{name}.")), key=lambda k: int(k.split(".")[1]))
        ]

    def api(self, request: Request) -> Response:
        if request.method != "POST":  # the API takes form-encoded POSTs only (both published clients)
            return landscape_error(405, "InvalidRequestMethod", "The API accepts POST requests only.")
        if request.mimetype != "application/x-www-form-urlencoded":
            return landscape_error(400, "InvalidContentType", "Send the parameters form-encoded.")
        params = request.form.to_dict()
        if params.get("version") != "2011-08-01":
            return landscape_error(400, "InvalidVersion", f"Unsupported API version {params.get('version')!r}.")
        if params.get("access_key_id") != self.credentials.client_id:
            return landscape_error(401, "InvalidCredentials", "The access key id is not known.")
        if params.get("signature_method") != "HmacSHA256" or params.get("signature_version") != "2":
            return landscape_error(
                400, "InvalidSignatureMethod", "Use signature_method=HmacSHA256, signature_version=2."
            )
        expected = signature(self.credentials.client_secret, request.method, request.host, request.path, params)
        if not hmac.compare_digest(expected, params.get("signature", "")):
            return landscape_error(
                401,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        action = params.get("action", "")
        self._log_action(request, action)
        handler = getattr(self, f"do_{action}", None)
        if handler is None:
            return landscape_error(400, "UnknownAction", f"Unknown action {action!r}.")
        try:
            limit, offset = int(params.get("limit", 1000)), int(params.get("offset", 0))
        except ValueError:
            return landscape_error(400, "InvalidParameter", "limit and offset are integers.")
        return handler(request, params, limit, offset)  # type: ignore[no-any-return]

    def _log_action(self, request: Request, action: str) -> None:
        """The request log (for tests) names the action a form-encoded POST carried in its body."""
        with self.lock:
            for i in range(len(self.requests) - 1, -1, -1):
                if self.requests[i] == (request.method, request.path):
                    self.requests[i] = (request.method, f"{request.path} [action={action}]")
                    return

    # ---- actions --------------------------------------------------------------------------

    def do_GetComputers(self, request: Request, p: dict[str, str], limit: int, offset: int) -> Response:
        devices = self._computers(p.get("query", ""))
        if devices is None:
            return landscape_error(400, "InvalidQuery", f"Invalid query {p.get('query')!r}.")
        rows = [
            {
                "id": self._cid(d),
                "title": d.name,
                "hostname": d.name.lower(),
                "tags": self._tags(d),
                "access_group": "global",
                "last_ping_time": "2026-01-01T00:00:00Z",
            }
            for d in devices[offset : offset + limit]
        ]
        return json_response(rows)

    def _change(self, request: Request, p: dict[str, str], action: str) -> Response:
        packages = self._numbered(p, "packages")
        devices = self._computers(p.get("query", ""))
        if not packages:
            return landscape_error(400, "InvalidParameter", "packages.1 is required.")
        if devices is None or not p.get("query"):
            return landscape_error(400, "InvalidQuery", "A computer query (tag:...) is required.")
        known = set(self.visible_packages(self._tags(devices[0]) if devices else []))
        if action == "install" and not set(packages) <= known:
            return landscape_error(
                400, "UnknownPackages", f"Unknown packages: {', '.join(sorted(set(packages) - known))}."
            )
        aid = self.next_id()
        verb = "Install" if action == "install" else "Remove"
        activity = {
            "id": aid,
            "type": "ActivityGroup",  # the parent; its per-computer children are ChangePackagesRequests
            "summary": f"{verb} package {' '.join(packages)}",
            "creation_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "parent_id": None,
            "computer_id": None,
            "activity_status": "delivered",
            "query": p["query"],
            "packages": packages,
        }
        self.activities[aid] = activity
        self.deployments[aid] = Deployment(
            f"landscape-{aid}", p["query"].removeprefix("tag:"), action, self.fleet.now()
        )
        self.created(f"act:{aid}", request.method, request.path)
        self.changed()
        for package in packages:
            self.mutation(request, "assign" if action == "install" else "uninstall", f"{p['query']}/{package}")
        return json_response({k: v for k, v in activity.items() if k not in ("query", "packages")})

    def do_InstallPackages(self, request: Request, p: dict[str, str], limit: int, offset: int) -> Response:
        return self._change(request, p, "install")

    def do_RemovePackages(self, request: Request, p: dict[str, str], limit: int, offset: int) -> Response:
        return self._change(request, p, "uninstall")

    def _children(self, aid: int) -> list[dict[str, Any]]:
        parent, deployment = self.activities[aid], self.deployments[aid]
        change = "remove" if deployment.action == "uninstall" else "install"
        rows = []
        for device in self.fleet.devices(deployment.group):
            state = self.fleet.state(deployment, device)
            status = CHILD_STATUS.get(state) or ("undelivered" if device.site_class == "air_gapped" else "delivered")
            code = self.fleet.error_code(deployment, device) if status == "failed" else ""
            rows.append(
                {
                    "id": aid * 100000 + device.index + 1,
                    "parent_id": aid,
                    "computer_id": self._cid(device),
                    "type": "ChangePackagesRequest",
                    "summary": parent["summary"],
                    "creation_time": parent["creation_time"],
                    "changes": [
                        {"package": name, "type": change, "complemented": False} for name in parent["packages"]
                    ],
                    "activity_status": status,
                    "result_code": exit_status(code) if code else 0 if status == "succeeded" else None,
                    "result_text": ""
                    if not code
                    else "Timed out waiting for the package operation to finish."
                    if code == "timeout"
                    else f"E: Sub-process /usr/bin/dpkg returned an error code ({code})",
                }
            )
        return rows

    def do_GetActivities(self, request: Request, p: dict[str, str], limit: int, offset: int) -> Response:
        """Space-separated criteria, all of which must hold: `id:N`, `parent-id:N`, `type:TYPE`,
        `status:STATUS`, `created-after:DATE`, `created-before:DATE` (ISO 8601, as precise as given:
        `2026-12`, `2026-12-02T10:30`); Landscape keeps every activity, so older operations stay listed."""
        criteria: dict[str, str] = {}
        for token in p.get("query", "").split():
            name, _, value = token.partition(":")
            if name not in ("id", "parent-id", "type", "status", *WHEN) or not value or name in criteria:
                return landscape_error(400, "InvalidQuery", f"Invalid query {p.get('query')!r}.")
            if name in ("id", "parent-id") and not value.isdigit():
                return landscape_error(400, "InvalidQuery", f"Invalid query {p.get('query')!r}.")
            if name in WHEN and not ISO_PREFIX.match(value):
                return landscape_error(400, "InvalidQuery", f"Invalid date {value!r}: give ISO 8601.")
            criteria[name] = value
        parent = criteria.get("parent-id")
        if parent is not None:  # the per-computer children, in computer order
            aid = int(parent)
            rows = list(self.cached(("children", aid), lambda: self._children(aid))) if aid in self.activities else []
        else:  # the operations, newest first; a listing lags behind a create, a look-up by id does not
            rows = sorted(
                (a for aid, a in self.activities.items() if "id" in criteria or self.visibility.visible(f"act:{aid}")),
                key=lambda a: -int(a["id"]),
            )
        fields = {"id": "id", "type": "type", "status": "activity_status"}
        rows = [r for r in rows if all(str(r.get(f)) == criteria[c] for c, f in fields.items() if c in criteria)]
        rows = [r for r in rows if all(WHEN[c](str(r["creation_time"]), criteria[c]) for c in WHEN if c in criteria)]
        return json_response(
            [{k: v for k, v in r.items() if k not in ("query", "packages")} for r in rows[offset : offset + limit]]
        )

    def do_GetPackages(self, request: Request, p: dict[str, str], limit: int, offset: int) -> Response:
        devices = self._computers(p.get("query", ""))
        if devices is None:
            return landscape_error(400, "InvalidQuery", f"Invalid query {p.get('query')!r}.")
        names = set(self._numbered(p, "names"))
        group_ids = {self._cid(d): d for d in devices}
        rows: list[dict[str, Any]] = []
        for aid, activity in sorted(self.activities.items()):
            if activity["query"] != p.get("query") or (names and not names & set(activity["packages"])):
                continue
            installed = [
                c["computer_id"]
                for c in self._children(aid)
                if c["activity_status"] == "succeeded" and c["computer_id"] in group_ids
            ]
            for name in activity["packages"]:
                rows = [r for r in rows if r["name"] != name]
                if self.deployments[aid].action == "install":
                    rows.append(
                        {
                            "name": name,
                            "version": self.console_version(aid),  # one installed by hand (console)
                            "summary": name,
                            "computers": {"installed": installed, "available": [], "upgrades": [], "held": []},
                        }
                    )
        if p.get("installed") == "true":
            rows = [r for r in rows if r["computers"]["installed"]]
        return json_response(rows[offset : offset + limit])

    def state(self) -> dict[str, Any]:
        return {"activities": len(self.activities), **self.repository_state()}
