"""Ansible AWX / Automation Controller, simulated: the `/api/v2/` subset the Ansible connector uses.

Bearer (OAuth2 personal access) token auth; `me/`, `job_templates/` (list, `{id}/launch/`),
`jobs/` (list with `job_template`, `limit`, `extra_vars__icontains` filters), `jobs/{id}/`,
`jobs/{id}/job_host_summaries/`, `jobs/{id}/job_events/` (filter `event`; a failed host's
`runner_on_failed` event carries the task's `rc` and `msg`), `inventories/{id}/groups/`,
`groups/{id}/all_hosts/` (each host's `variables` name its `site_class`);
`count/next/previous/results` paging with `page` / `page_size`; errors as `{"detail": …}` or
field dictionaries, as Django REST framework renders them.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fleetsim.counters import marker_in
from fleetsim.fleet import Deployment
from fleetsim.groups import exit_status
from fleetsim.server import Fault, SimApp, json_response

PAGE_MAX = 200


class AwxSim(SimApp):
    plane = "ansible"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.token = self.credentials.client_secret
        self.inventory_id = 1
        self.templates = {
            7: {
                "id": 7,
                "type": "job_template",
                "name": "Fleetgate software deployment",
                "inventory": 1,
                "project": 3,
                "playbook": "deploy_package.yml",
                "ask_variables_on_launch": True,
                "ask_limit_on_launch": True,
                "ask_inventory_on_launch": False,
            }
        }
        self.jobs: dict[int, dict[str, Any]] = {}
        self.deployments: dict[int, Deployment] = {}

    @property
    def group_ids(self) -> dict[str, int]:
        """Ring group name -> inventory group id, for every group of the fleet."""
        return {name: i + 1 for i, name in enumerate(self.fleet.group_names())}

    def rules(self) -> list[Rule]:
        return [
            Rule("/api/v2/me/", methods=["GET"], endpoint="me"),
            Rule("/api/v2/job_templates/", methods=["GET"], endpoint="list_templates"),
            Rule("/api/v2/job_templates/<int:tid>/launch/", methods=["POST"], endpoint="launch"),
            Rule("/api/v2/jobs/", methods=["GET"], endpoint="list_jobs"),
            Rule("/api/v2/jobs/<int:jid>/", methods=["GET"], endpoint="get_job"),
            Rule("/api/v2/jobs/<int:jid>/job_host_summaries/", methods=["GET"], endpoint="host_summaries"),
            Rule("/api/v2/jobs/<int:jid>/job_events/", methods=["GET"], endpoint="job_events"),
            Rule("/api/v2/inventories/<int:iid>/groups/", methods=["GET"], endpoint="groups"),
            Rule("/api/v2/groups/<int:gid>/all_hosts/", methods=["GET"], endpoint="all_hosts"),
        ]

    def throttled(self, fault: Fault) -> Response:
        return json_response({"detail": "Request was throttled."}, 429, {"Retry-After": str(fault.retry_after)})

    def unavailable(self) -> Response:
        return Response(
            "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>", 503, mimetype="text/html"
        )

    def not_found(self, request: Request) -> Response:
        return json_response({"detail": "Not found."}, 404)

    def _auth(self, request: Request) -> Response | None:
        header = request.headers.get("Authorization", "")
        if not header:
            return json_response({"detail": "Authentication credentials were not provided."}, 401)
        if header != f"Bearer {self.token}":
            return json_response({"detail": "Invalid token."}, 401)
        return None

    def _page(self, request: Request, rows: list[dict[str, Any]]) -> Response:
        try:
            page = max(1, int(request.args.get("page", 1)))
            size = min(PAGE_MAX, max(1, int(request.args.get("page_size", 25))))
        except ValueError:
            return json_response({"detail": "Invalid page."}, 404)
        start = (page - 1) * size
        if start and start >= len(rows):
            return json_response({"detail": "Invalid page."}, 404)
        path = request.path
        return json_response(
            {
                "count": len(rows),
                "next": f"{path}?{self._q(request, page + 1)}" if start + size < len(rows) else None,
                "previous": f"{path}?{self._q(request, page - 1)}" if page > 1 else None,
                "results": rows[start : start + size],
            }
        )

    @staticmethod
    def _q(request: Request, page: int) -> str:
        from urllib.parse import urlencode

        return urlencode({**request.args.to_dict(), "page": page})

    def me(self, request: Request) -> Response:
        return self._auth(request) or self._page(
            request, [{"id": 1, "type": "user", "username": "fleetgate", "is_superuser": False}]
        )

    def list_templates(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        rows = list(self.templates.values())
        if name := request.args.get("name"):
            rows = [t for t in rows if t["name"] == name]
        return self._page(request, rows)

    def launch(self, request: Request, tid: int) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        template = self.templates.get(tid)
        if template is None:
            return self.not_found(request)
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return json_response({"detail": "JSON parse error - Expecting value: line 1 column 1 (char 0)"}, 400)
        extra = body.get("extra_vars", {})
        if isinstance(extra, str):
            try:
                extra = json.loads(extra)
            except ValueError:
                return json_response({"extra_vars": ["Cannot parse as JSON (error: Expecting value) or YAML."]}, 400)
        needed = [v for v in ("fleetgate_package", "fleetgate_state") if v not in extra]
        if needed:
            return json_response({"variables_needed_to_start": [f"'{v}' value missing" for v in needed]}, 400)
        limit = body.get("limit", "")
        if limit not in self.group_ids:
            return json_response({"limit": [f"No hosts matched the limit '{limit}'."]}, 400)
        jid = self.next_id()
        job = {
            "id": jid,
            "type": "job",
            "url": f"/api/v2/jobs/{jid}/",
            "job_template": tid,
            "name": template["name"],
            "status": "pending",
            "failed": False,
            "limit": limit,
            "inventory": template["inventory"],
            "extra_vars": json.dumps(extra),
            "launch_type": "manual",
        }
        self.jobs[jid] = job
        action = "uninstall" if extra.get("fleetgate_state") == "absent" else "install"
        self.deployments[jid] = Deployment(f"awx-{jid}", limit, action, self.fleet.now())
        self.created(f"job:{jid}", "POST", request.path)
        self.changed()
        operation = "uninstall" if action == "uninstall" else "assign"
        self.mutation(request, operation, f"{limit}/{extra['fleetgate_package']}", marker_in(json.dumps(extra)))
        return json_response({**self._job(jid), "job": jid, "ignored_fields": {}}, 201)

    def _job(self, jid: int) -> dict[str, Any]:
        job, deployment = self.jobs[jid], self.deployments[jid]
        devices = self.fleet.devices(deployment.group)
        states = [self.fleet.state(deployment, d) for d in devices if d.site_class != "air_gapped"]
        elapsed = self.fleet.now() - deployment.assigned_at
        if elapsed < 5:
            status = "pending"
        elif any(s == "pending" for s in states):
            status = "running"
        else:
            status = "failed" if any(s == "failed" for s in states) else "successful"
        return {**job, "status": status, "failed": status == "failed"}

    def list_jobs(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        rows = [self._job(j) for j in sorted(self.jobs, reverse=True) if self.visibility.visible(f"job:{j}")]
        if tid := request.args.get("job_template"):
            rows = [r for r in rows if str(r["job_template"]) == tid]
        if limit := request.args.get("limit"):
            rows = [r for r in rows if r["limit"] == limit]
        if needle := request.args.get("extra_vars__icontains"):
            rows = [r for r in rows if needle.lower() in r["extra_vars"].lower()]
        return self._page(request, rows)

    def get_job(self, request: Request, jid: int) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if jid not in self.jobs or not self.visibility.visible(f"job:{jid}"):
            return self.not_found(request)
        return json_response(self._job(jid))

    def _summaries(self, jid: int) -> list[dict[str, Any]]:
        deployment = self.deployments[jid]
        rows = []
        for device in self.fleet.devices(deployment.group):
            state = self.fleet.state(deployment, device)
            if state == "pending":
                if device.site_class != "air_gapped":
                    continue  # not processed yet
                rows.append(
                    {
                        "id": jid * 100000 + device.index,
                        "host": 1000 + device.index,
                        "host_name": device.name,
                        "ok": 0,
                        "changed": 0,
                        "dark": 1,
                        "failures": 0,
                        "skipped": 0,
                        "failed": True,
                    }
                )
                continue
            rows.append(
                {
                    "id": jid * 100000 + device.index,
                    "host": 1000 + device.index,
                    "host_name": device.name,
                    "ok": 3 if state in ("installed", "not_installed") else 1,
                    "changed": 1 if state in ("installed", "not_installed") else 0,
                    "dark": 0,
                    "failures": 1 if state == "failed" else 0,
                    "skipped": 3 if state == "not_applicable" else 0,
                    "failed": state == "failed",
                }
            )
        return rows

    def host_summaries(self, request: Request, jid: int) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if jid not in self.jobs:
            return self.not_found(request)
        return self._page(request, self.cached(("summaries", jid), lambda: self._summaries(jid)))

    def _failed_events(self, jid: int) -> list[dict[str, Any]]:
        deployment, rows = self.deployments[jid], []
        for device in self.fleet.devices(deployment.group):
            if self.fleet.state(deployment, device) != "failed":
                continue
            code = self.fleet.error_code(deployment, device)
            res: dict[str, Any] = (
                {"msg": "The task timed out.", "rc": None, "failed": True}
                if code == "timeout"
                else {"msg": "non-zero return code", "rc": exit_status(code), "failed": True}
            )
            rows.append(
                {
                    "id": jid * 100000 + device.index,
                    "type": "job_event",
                    "event": "runner_on_failed",
                    "failed": True,
                    "host": 1000 + device.index,
                    "host_name": device.name,
                    "task": "Install the package",
                    "event_data": {"res": res},
                }
            )
        return rows

    def job_events(self, request: Request, jid: int) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if jid not in self.jobs:
            return self.not_found(request)
        event = request.args.get("event")
        if event not in (None, "runner_on_failed"):
            return self._page(request, [])  # only failures are simulated
        return self._page(request, self.cached(("events", jid), lambda: self._failed_events(jid)))

    def groups(self, request: Request, iid: int) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        rows = [{"id": gid, "type": "group", "name": name, "inventory": iid} for name, gid in self.group_ids.items()]
        if name := request.args.get("name"):
            rows = [r for r in rows if r["name"] == name]
        return self._page(request, rows)

    def all_hosts(self, request: Request, gid: int) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        name = next((n for n, i in self.group_ids.items() if i == gid), None)
        if name is None:
            return self.not_found(request)
        rows = [
            {
                "id": 1000 + d.index,
                "type": "host",
                "name": d.name,
                "enabled": True,
                "variables": json.dumps({"site_class": d.site_class}),
            }
            for d in self.fleet.devices(name)
        ]
        return self._page(request, rows)

    def state(self) -> dict[str, Any]:
        return {"jobs": len(self.jobs)}
