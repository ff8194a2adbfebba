"""Jamf Pro, simulated: the subset the Jamf connector uses.

Jamf Pro API: sign-in (OAuth client credentials and user bearer tokens: `jamf_auth.py`),
`GET /api/v1/jamf-pro-version`,
`GET|POST /api/v1/packages` (page / page-size / RSQL filter), `POST /api/v1/packages/{id}/upload`;
errors as `{"httpStatus", "errors": [{"code", "field", "description", "id"}]}`.
Classic API (XML): `computergroups` (the list), `computergroups/name/{name}`, `policies` (list,
`id/0` create, `id/{id}`, `name/{name}`, PUT), `computerhistory/id/{id}/subset/PolicyLogs`;
Classic errors are HTML pages (e.g. 409 "Error: Duplicate name"). A policy log of a failed run
carries the installer's output in `<log>`, ending `(exit code: <code>)` or "The install timed out."
"""

from __future__ import annotations

import hashlib
import re
import time
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import unquote
from xml.sax.saxutils import escape

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fleetsim.counters import marker_in
from fleetsim.fleet import Deployment
from fleetsim.jamf_auth import JamfAuth
from fleetsim.jamf_inventory import PACKAGE_DEFAULTS, JamfInventory, epoch_ms
from fleetsim.server import Fault, SimApp, json_response, xml_response


def jamf_error(status: int, code: str, description: str, field: str | None = None) -> Response:
    return json_response(
        {"httpStatus": status, "errors": [{"code": code, "field": field, "description": description, "id": "0"}]},
        status,
    )


def classic_error(status: int, text: str) -> Response:
    body = f"<html><head><title>Status page</title></head><body><p>{escape(text)}</p></body></html>"
    return Response(body, status=status, mimetype="text/html")


class JamfSim(JamfAuth, JamfInventory, SimApp):
    plane = "jamf"
    token_lifetime = 1199

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.packages: dict[int, dict[str, Any]] = {}
        self.policies: dict[int, dict[str, Any]] = {}
        self.deployments: dict[int, Deployment] = {}
        self.uploads: dict[int, int] = {}

    @property
    def group_ids(self) -> dict[str, int]:
        """Ring group name -> static computer group id, for every group of the fleet."""
        return {name: i + 1 for i, name in enumerate(self.fleet.group_names())}

    def rules(self) -> list[Rule]:
        return [
            *self.auth_rules(),
            *self.inventory_rules(),
            Rule("/api/v1/jamf-pro-version", methods=["GET"], endpoint="version"),
            Rule("/api/v1/packages", methods=["GET"], endpoint="list_packages"),
            Rule("/api/v1/packages", methods=["POST"], endpoint="create_package"),
            Rule("/api/v1/packages/<int:pid>/upload", methods=["POST"], endpoint="upload"),
            Rule("/JSSResource/computergroups", methods=["GET"], endpoint="list_groups"),
            Rule("/JSSResource/computergroups/name/<path:name>", methods=["GET"], endpoint="group_by_name"),
            Rule("/JSSResource/policies", methods=["GET"], endpoint="list_policies"),
            Rule("/JSSResource/policies/id/<int:pid>", methods=["GET"], endpoint="get_policy"),
            Rule("/JSSResource/policies/id/<int:pid>", methods=["POST"], endpoint="create_policy"),
            Rule("/JSSResource/policies/id/<int:pid>", methods=["PUT"], endpoint="update_policy"),
            Rule("/JSSResource/policies/name/<path:name>", methods=["GET"], endpoint="policy_by_name"),
            Rule("/JSSResource/computerhistory/id/<int:cid>/subset/PolicyLogs", methods=["GET"], endpoint="history"),
        ]

    def throttled(self, fault: Fault) -> Response:
        response = jamf_error(429, "TOO_MANY_REQUESTS", "Rate limit exceeded")
        response.headers["Retry-After"] = str(fault.retry_after)
        return response

    def unavailable(self) -> Response:
        return classic_error(503, "The server is temporarily unable to service your request.")

    def not_found(self, request: Request) -> Response:
        if request.path.startswith("/JSSResource"):
            return classic_error(404, "The server has not found anything matching the request URI")
        return jamf_error(404, "NOT_FOUND", "Resource not found")

    def _auth(self, request: Request) -> Response | None:
        if self.bearer_ok(request):
            return None
        if request.path.startswith("/JSSResource"):
            return classic_error(401, "The request requires user authentication")
        return jamf_error(401, "INVALID_TOKEN", "Unauthorized")

    def version(self, request: Request) -> Response:
        return self._auth(request) or json_response({"version": "11.13.1-t1731341521"})

    # ---- packages (Jamf Pro API) --------------------------------------------------------

    def list_packages(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        items = [p for pid, p in self.packages.items() if self.visibility.visible(f"pkg:{pid}")]
        flt = request.args.get("filter", "")
        if flt:
            m = re.fullmatch(r'(\w+)=="(.*)"', flt)
            if not m:
                return jamf_error(400, "INVALID_RSQL_FILTER", f"Invalid filter: {flt}", "filter")
            field, pattern = m.group(1), re.escape(m.group(2)).replace(r"\*", ".*")
            items = [p for p in items if re.fullmatch(pattern, str(p.get(field, "")))]
        try:
            page, size = int(request.args.get("page", 0)), int(request.args.get("page-size", 100))
        except ValueError:
            return jamf_error(400, "INVALID_FIELD", "page and page-size are integers")
        return json_response({"totalCount": len(items), "results": items[page * size : (page + 1) * size]})

    def create_package(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        body = request.get_json(silent=True) or {}
        for required in ("packageName", "fileName", "categoryId", "priority"):
            if body.get(required) in (None, ""):
                return jamf_error(400, "INVALID_FIELD", f"{required} is required", required)
        if self.conflict_armed("POST", request.path) or any(
            p["packageName"] == body["packageName"] for p in self.packages.values()
        ):
            return jamf_error(409, "DUPLICATE_FIELD", "duplicate name", "packageName")
        pid = self.next_id()
        self.packages[pid] = {**PACKAGE_DEFAULTS, **body, "id": str(pid)}
        self.created(f"pkg:{pid}", "POST", request.path)
        self.mutation(request, "publish", pid, marker_in(body.get("notes")))
        return json_response({"id": str(pid), "href": f"{self.base_url}/api/v1/packages/{pid}"}, 201)

    def upload(self, request: Request, pid: int) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if pid not in self.packages:
            return self.not_found(request)
        upload = request.files.get("file")
        if upload is None:
            return jamf_error(400, "INVALID_FIELD", "multipart field 'file' is required", "file")
        content = upload.read()
        self.uploads[pid] = len(content)
        self.packages[pid].update(
            {"hashType": "SHA_512", "hashValue": hashlib.sha512(content).hexdigest(), "size": str(len(content))}
        )
        self.packages[pid]["cloudTransferStatus"] = "READY"
        self.mutation(request, "upload", pid, marker_in(self.packages[pid].get("notes")))
        return json_response({"id": str(pid), "href": f"{self.base_url}/api/v1/packages/{pid}"}, 201)

    # ---- Classic API --------------------------------------------------------------------

    def list_groups(self, request: Request) -> Response:
        """Every computer group, as the Classic API lists them: id, name, is_smart (no members, no search)."""
        if (denied := self._auth(request)) is not None:
            return denied
        rows = "".join(
            f"<computer_group><id>{gid}</id><name>{escape(name)}</name><is_smart>false</is_smart></computer_group>"
            for name, gid in self.group_ids.items()
        )
        return xml_response(f"<computer_groups><size>{len(self.group_ids)}</size>{rows}</computer_groups>")

    def group_by_name(self, request: Request, name: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        name = unquote(name)
        group_ids = self.group_ids
        if name not in group_ids:
            return self.not_found(request)
        devices = self.fleet.devices(name)
        computers = "".join(
            f"<computer><id>{self._cid(name, d.index)}</id><name>{d.name}</name>"
            f"<serial_number>{d.serial}</serial_number></computer>"
            for d in devices
        )
        return xml_response(
            f"<computer_group><id>{group_ids[name]}</id><name>{escape(name)}</name><is_smart>false</is_smart>"
            f"<computers><size>{len(devices)}</size>{computers}</computers></computer_group>"
        )

    def _cid(self, group: str, index: int) -> int:
        return self.group_ids[group] * 100000 + index

    def _device(self, cid: int) -> Any:
        group = next((g for g, i in self.group_ids.items() if i == cid // 100000), None)
        devices = self.fleet.devices(group) if group else []
        index = cid % 100000
        return devices[index] if index < len(devices) else None

    def _policy_xml(self, pid: int) -> str:
        p = self.policies[pid]
        groups = "".join(
            f"<computer_group><id>{g}</id><name>{escape(n)}</name></computer_group>" for g, n in p["groups"]
        )
        packages = "".join(f"<package><id>{k}</id><action>{a}</action></package>" for k, a in p["packages"])
        return (
            f"<policy><general><id>{pid}</id><name>{escape(p['name'])}</name><enabled>{str(p['enabled']).lower()}</enabled>"
            f"<trigger_checkin>true</trigger_checkin><frequency>Once per computer</frequency>"
            f"<date_time_limitations><activation_date_epoch>{int(p['activation'] * 1000)}</activation_date_epoch>"
            f"</date_time_limitations></general>"
            f"<scope><all_computers>false</all_computers><computer_groups>{groups}</computer_groups></scope>"
            f"<package_configuration><packages><size>{len(p['packages'])}</size>{packages}</packages></package_configuration>"
            f"<maintenance><recon>{str(p['recon']).lower()}</recon></maintenance></policy>"
        )

    def list_policies(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        rows = "".join(
            f"<policy><id>{pid}</id><name>{escape(p['name'])}</name></policy>"
            for pid, p in self.policies.items()
            if self.visibility.visible(f"policy:{pid}")
        )
        return xml_response(f"<policies><size>{len(self.policies)}</size>{rows}</policies>")

    def get_policy(self, request: Request, pid: int) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if pid not in self.policies or not self.visibility.visible(f"policy:{pid}"):
            return self.not_found(request)
        return xml_response(self._policy_xml(pid))

    def policy_by_name(self, request: Request, name: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        name = unquote(name)
        pid = next((i for i, p in self.policies.items() if p["name"] == name), None)
        if pid is None or not self.visibility.visible(f"policy:{pid}"):
            return self.not_found(request)
        return xml_response(self._policy_xml(pid))

    def _parse_policy(self, request: Request) -> dict[str, Any] | Response:
        try:
            root = ET.fromstring(request.get_data())  # noqa: S314 (the simulator parses its own client's XML)
        except ET.ParseError:
            return classic_error(400, "Bad Request: XML is not well-formed")
        if root.tag != "policy":
            return classic_error(400, "Bad Request: root element must be <policy>")
        out: dict[str, Any] = {}
        if (name := root.findtext("general/name")) is not None:
            out["name"] = name
        if (enabled := root.findtext("general/enabled")) is not None:
            out["enabled"] = enabled == "true"
        if (activation := root.findtext("general/date_time_limitations/activation_date_epoch")) is not None:
            out["activation"] = epoch_ms(activation, time.time())
        if (recon := root.findtext("maintenance/recon")) is not None:
            out["recon"] = recon == "true"
        if root.find("scope/computer_groups") is not None:
            groups = []
            for g in root.findall("scope/computer_groups/computer_group"):
                gid = int(g.findtext("id") or 0)
                gname = next((n for n, i in self.group_ids.items() if i == gid), None)
                if gname is None:
                    return classic_error(409, "Error: Problem with computer group in scope")
                groups.append((gid, gname))
            out["groups"] = groups
        if root.find("package_configuration/packages") is not None:
            packages = []
            for pkg in root.findall("package_configuration/packages/package"):
                pkid = int(pkg.findtext("id") or 0)
                if pkid not in self.packages:
                    return classic_error(409, "Error: Problem with package in package configuration")
                packages.append((pkid, pkg.findtext("action") or "Install"))
            out["packages"] = packages
        return out

    def create_policy(self, request: Request, pid: int) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        parsed = self._parse_policy(request)
        if isinstance(parsed, Response):
            return parsed
        if not parsed.get("name"):
            return classic_error(409, "Error: Policy name is required")
        if self.conflict_armed("POST", request.path) or any(
            p["name"] == parsed["name"] for p in self.policies.values()
        ):
            return classic_error(409, "Error: Duplicate name")
        new_id = self.next_id()
        self.align_clock(parsed.get("activation", time.time()))
        self.policies[new_id] = {
            "name": parsed["name"],
            "enabled": parsed.get("enabled", True),
            "groups": parsed.get("groups", []),
            "packages": parsed.get("packages", []),
            "activation": parsed.get("activation", time.time()),
            "recon": parsed.get("recon", False),
        }
        self._deploy(new_id)
        self.created(f"policy:{new_id}", "POST", request.path)
        operation = "uninstall" if self._action(new_id) == "uninstall" else "assign"
        self.mutation(request, operation, new_id, marker_in(parsed["name"]))
        return xml_response(f"<policy><id>{new_id}</id></policy>", 201)

    def update_policy(self, request: Request, pid: int) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if pid not in self.policies:
            return self.not_found(request)
        parsed = self._parse_policy(request)
        if isinstance(parsed, Response):
            return parsed
        self.policies[pid].update(parsed)
        self._deploy(pid)
        operation = "disable" if parsed.get("enabled") is False else "update"
        self.mutation(request, operation, pid, marker_in(self.policies[pid]["name"]))
        return xml_response(f"<policy><id>{pid}</id></policy>", 201)

    def _deploy(self, pid: int) -> None:
        policy = self.policies[pid]
        if policy["enabled"] and policy["groups"] and pid not in self.deployments:
            self.deployments[pid] = Deployment(
                f"jamf-policy-{pid}", policy["groups"][0][1], self._action(pid), self.fleet.now()
            )
        self.changed()

    def _action(self, pid: int) -> str:
        actions = {a.lower() for _, a in self.policies[pid]["packages"]}
        return "uninstall" if "uninstall" in actions else "install"

    def _log(self, pid: int, deployment: Deployment, device: Any) -> str:
        packages = ", ".join(
            str(self.packages.get(k, {}).get("fileName", k)) for k, _ in self.policies[pid]["packages"]
        )
        verb = "Uninstalling" if deployment.action == "uninstall" else "Installing"
        code = self.fleet.error_code(deployment, device)
        outcome = "The install timed out." if code == "timeout" else f"The install failed. (exit code: {code})"
        return f"Executing Policy {self.policies[pid]['name']}...\n{verb} {packages}...\n{outcome}"

    def history(self, request: Request, cid: int) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        device = self._device(cid)
        if device is None:
            return self.not_found(request)
        logs = []
        for pid, deployment in self.deployments.items():
            policy = self.policies[pid]
            if deployment.group != device.group:  # logs stay when a policy is unscoped later
                continue
            state = self.fleet.state(deployment, device)
            if state in ("installed", "not_installed", "failed"):
                when = int(self.epoch(self.fleet.reported_at(deployment, device)) * 1000)
                log = f"<log>{escape(self._log(pid, deployment, device))}</log>" if state == "failed" else ""
                logs.append(
                    f"<policy_log><policy_id>{pid}</policy_id><policy_name>{escape(policy['name'])}</policy_name>"
                    f"<username>root</username><date_completed_epoch>{when}</date_completed_epoch>"
                    f"<status>{'Failed' if state == 'failed' else 'Completed'}</status>{log}</policy_log>"
                )
        return xml_response(
            f"<computer_history><general><id>{cid}</id><name>{device.name}</name></general>"
            f"<policy_logs>{''.join(logs)}</policy_logs></computer_history>"
        )

    def state(self) -> dict[str, Any]:
        return {"packages": len(self.packages), "policies": len(self.policies)}

    # ---- console --------------------------------------------------------------------------
    # Fleetgate names its policies "Fleetgate <app> <version> -> <group> [<marker>]"; an admin who
    # edits one in the console edits that name too (the version, the group it is scoped to).

    def _console_row(self, pid: int) -> dict[str, Any]:
        policy = self.policies[pid]
        label = str(policy["name"]).removeprefix("Fleetgate ").split(" -> ")[0]
        name, _, version = label.rpartition(" ")
        actions = {a.lower() for _, a in policy["packages"]}
        intent = "uninstall" if "uninstall" in actions else "install" if "install" in actions else "available"
        group = policy["groups"][0][1] if policy["groups"] else ""
        return {"id": str(pid), "name": name, "version": version, "intent": intent, "group": group}

    def console_assignments(self) -> list[dict[str, Any]]:
        return [self._console_row(pid) for pid in self.policies]

    def _pid(self, aid: str) -> int:
        if not aid.isdigit() or int(aid) not in self.policies:
            raise KeyError(aid)
        return int(aid)

    def _apply(self, pid: int, changes: dict[str, Any]) -> None:
        policy, row = self.policies[pid], self._console_row(pid)
        if "group" in changes and changes["group"] not in self.group_ids:
            raise ValueError(f"no computer group {changes['group']!r}")
        version, group = changes.get("version", row["version"]), changes.get("group", row["group"])
        marker = str(policy["name"]).partition(" [")[2]
        policy["name"] = f"Fleetgate {row['name']} {version} -> {group} [{marker or 'console]'}"
        if "group" in changes:
            policy["groups"] = [(self.group_ids[group], group)]
        if "intent" in changes:
            action = {"install": "Install", "uninstall": "Uninstall", "available": "Cache"}[changes["intent"]]
            policy["packages"] = [(k, action) for k, _ in policy["packages"]]
        self.deployments.pop(pid, None)
        self._deploy(pid)

    def console_change(self, aid: str, changes: dict[str, Any]) -> dict[str, Any]:
        pid = self._pid(aid)
        self._apply(pid, changes)
        return self._console_row(pid)

    def console_delete(self, aid: str) -> None:
        pid = self._pid(aid)
        self.policies.pop(pid)
        self.deployments.pop(pid, None)

    def console_copy(self, aid: str, changes: dict[str, Any]) -> dict[str, Any]:
        source = self.policies[self._pid(aid)]
        new = self.next_id()
        self.policies[new] = {**source, "name": str(source["name"]).split(" [")[0] + " [console]"}
        self._apply(new, changes)
        return self._console_row(new)
