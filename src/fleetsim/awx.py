"""Ansible AWX / Automation Controller, simulated: the `/api/v2/` subset the Ansible connector and
awxkit use, refusing what AWX refuses with AWX's own bodies.

- auth: an OAuth2 personal access token (`Authorization: Bearer`), or basic auth as user
  `fleetgate` (AWX with AUTH_BASIC_ENABLED), which can mint tokens at
  `POST users/{id|username}/personal_tokens/`; a 401 is `{"detail": "… To establish a login
  session, visit /api/login/."}` with `WWW-Authenticate: Bearer realm=api …`;
- `/api/`, `/api/v2/` (public roots), `me/`, `job_templates/` (list, detail, PATCH of the ask_*
  flags, `{id}/jobs/`, `{id}/launch/` GET = what can be set at launch, POST = launch);
- a launch follows `_accept_or_ignore_job_kwargs`: a field the template does not prompt for
  (`ask_limit_on_launch` / `ask_variables_on_launch` false) is dropped into `ignored_fields` and
  the job runs with the template's value (an empty limit: the whole inventory); the survey's
  required variables answer 400 `{"variables_needed_to_start": ["'x' value missing"]}`;
- `jobs/` filtered and ordered as AWX's FieldLookupBackend does (see `awx_lookup.py`: `limit` is a
  reserved name and is ignored, `extra_vars` answers 403), `jobs/{id}/`, `jobs/{id}/cancel/`,
  `jobs/{id}/job_host_summaries/` (only once the play ended: a pending or running job has none),
  `jobs/{id}/job_events/` (a failed host's `runner_on_failed` event with the task's `rc`, `msg`);
- `inventories/{id}/groups/`, `groups/{id}/all_hosts/`; `count/next/previous/results` paging with
  relative `next` links, `page_size` ≤ 200, `{"detail": "Invalid page."}` past the end.

A job's hosts are its limit group's devices (every group's for an empty limit). It is `pending`
for 5 s, `running` until the last host that can report has reported, then `successful`, or
`failed` when a host failed or was unreachable (offline and air-gapped hosts end `dark`).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fleetsim.awx_jobs import JobsMixin
from fleetsim.counters import marker_in
from fleetsim.fleet import Deployment
from fleetsim.server import Fault, SimApp, json_response

PAGE_MAX = 200
USERNAME = "fleetgate"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
LOGIN = " To establish a login session, visit /api/login/."
ASK_FLAGS = (
    "ask_variables_on_launch",
    "ask_limit_on_launch",
    "ask_inventory_on_launch",
    "ask_tags_on_launch",
    "ask_skip_tags_on_launch",
    "ask_job_type_on_launch",
    "ask_verbosity_on_launch",
    "ask_credential_on_launch",
    "ask_diff_mode_on_launch",
    "ask_scm_branch_on_launch",
    "ask_labels_on_launch",
)
SURVEY = ("fleetgate_package", "fleetgate_state")  # the template's required survey questions


def stamp(seconds: float) -> str:
    """A simulated fleet time as AWX renders datetimes."""
    return (EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AwxSim(JobsMixin, SimApp):
    plane = "ansible"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.token = self.credentials.client_secret
        self.inventory_id = 1
        self.templates: dict[int, dict[str, Any]] = {
            7: {
                "id": 7,
                "type": "job_template",
                "name": "Fleetgate software deployment",
                "description": "",
                "job_type": "run",
                "inventory": 1,
                "project": 3,
                "playbook": "deploy_package.yml",
                "limit": "",
                "extra_vars": "",
                "survey_enabled": True,
                **dict.fromkeys(ASK_FLAGS, False),
                "ask_variables_on_launch": True,
                "ask_limit_on_launch": True,
            }
        }
        self.jobs: dict[int, dict[str, Any]] = {}
        self.deployments: dict[int, Deployment] = {}
        self.canceled: dict[int, float] = {}  # job id -> fleet time it was canceled

    @property
    def group_ids(self) -> dict[str, int]:
        """Ring group name -> inventory group id, for every group of the fleet."""
        return {name: i + 1 for i, name in enumerate(self.fleet.group_names())}

    def rules(self) -> list[Rule]:
        v2 = "/api/v2"
        return [
            Rule("/api/", methods=["GET"], endpoint="api_root"),
            Rule(f"{v2}/", methods=["GET"], endpoint="v2_root"),
            Rule(f"{v2}/me/", methods=["GET"], endpoint="me"),
            Rule(f"{v2}/users/<user>/personal_tokens/", methods=["POST"], endpoint="personal_token"),
            Rule(f"{v2}/job_templates/", methods=["GET"], endpoint="list_templates"),
            Rule(f"{v2}/job_templates/<int:tid>/", methods=["GET", "PATCH"], endpoint="template"),
            Rule(f"{v2}/job_templates/<int:tid>/jobs/", methods=["GET"], endpoint="template_jobs"),
            Rule(f"{v2}/job_templates/<int:tid>/launch/", methods=["GET", "POST"], endpoint="launch"),
            *self.job_rules(v2),
            Rule(f"{v2}/inventories/<int:iid>/groups/", methods=["GET"], endpoint="groups"),
            Rule(f"{v2}/groups/<int:gid>/all_hosts/", methods=["GET"], endpoint="all_hosts"),
        ]

    def throttled(self, fault: Fault) -> Response:
        wait = fault.retry_after
        detail = f"Request was throttled. Expected available in {wait} second{'s' if wait != 1 else ''}."
        return json_response({"detail": detail}, 429, {"Retry-After": str(wait)})

    def unavailable(self) -> Response:
        return Response(
            "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>", 503, mimetype="text/html"
        )

    def not_found(self, request: Request) -> Response:
        return json_response({"detail": "Not found."}, 404)

    def method_not_allowed(self, request: Request, allowed: Any) -> Response:
        return json_response({"detail": f'Method "{request.method}" not allowed.'}, 405)

    # ---- auth ---------------------------------------------------------------------------

    def _unauthorized(self, detail: str) -> Response:
        headers = {"WWW-Authenticate": "Bearer realm=api authorization_url=/api/o/authorize/"}
        return json_response({"detail": detail + LOGIN}, 401, headers)

    def _auth(self, request: Request, basic_only: bool = False) -> Response | None:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return self._unauthorized("Invalid basic header. Credentials not correctly base64 encoded.")
            if (user, password) != (USERNAME, self.credentials.client_secret):
                return self._unauthorized("Invalid username/password.")
            return None
        if not basic_only and scheme.lower() == "bearer" and (value == self.token or self.bearer_ok(request)):
            return None
        return self._unauthorized("Authentication credentials were not provided.")

    def _page(self, request: Request, rows: list[Any]) -> Response:
        try:
            page = int(request.args.get("page", 1))
            size = min(PAGE_MAX, max(1, int(request.args.get("page_size", 25))))
        except ValueError:
            return json_response({"detail": "Invalid page."}, 404)
        start = (page - 1) * size
        if page < 1 or (start and start >= len(rows)):
            return json_response({"detail": "Invalid page."}, 404)
        return json_response(
            {
                "count": len(rows),
                "next": self._link(request, page + 1) if start + size < len(rows) else None,
                "previous": self._link(request, page - 1) if page > 1 else None,
                "results": rows[start : start + size],
            }
        )

    @staticmethod
    def _link(request: Request, page: int) -> str:
        from urllib.parse import urlencode

        query = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
        return f"{request.path}?{urlencode([*query, ('page', page)])}"

    def api_root(self, request: Request) -> Response:
        return json_response(
            {
                "description": "AWX REST API",
                "current_version": "/api/v2/",
                "available_versions": {"v2": "/api/v2/"},
                "custom_logo": "",
                "custom_login_info": "",
                "login_redirect_override": "",
            }
        )

    def v2_root(self, request: Request) -> Response:
        names = ("ping", "me", "users", "tokens", "inventory", "groups", "job_templates", "jobs", "job_events")
        return json_response({n: f"/api/v2/{n if n != 'inventory' else 'inventories'}/" for n in names})

    def me(self, request: Request) -> Response:
        user = {"id": 1, "type": "user", "url": "/api/v2/users/1/", "username": USERNAME, "is_superuser": False}
        return self._auth(request) or self._page(request, [user])

    def personal_token(self, request: Request, user: str) -> Response:
        if (denied := self._auth(request, basic_only=True)) is not None:
            return denied
        if user not in ("1", USERNAME):
            return self.not_found(request)
        body = request.get_json(silent=True) or {}
        scope = body.get("scope", "write") if isinstance(body, dict) else "write"
        if scope not in ("read", "write"):
            return json_response(
                {"scope": ["Must be a simple space-separated string with allowed scopes ['read', 'write']."]}, 400
            )
        tid = self.next_id()
        token = self.issue_token()
        return json_response(
            {
                "id": tid,
                "type": "o_auth2_access_token",
                "url": f"/api/v2/tokens/{tid}/",
                "description": str(body.get("description", "")) if isinstance(body, dict) else "",
                "user": 1,
                "token": token,
                "refresh_token": None,
                "application": None,
                "expires": stamp(self.fleet.now() + 31536000000),
                "scope": scope,
            },
            201,
        )

    # ---- job templates --------------------------------------------------------------------

    def _template(self, template: dict[str, Any]) -> dict[str, Any]:
        tid = template["id"]
        related = {
            "launch": f"/api/v2/job_templates/{tid}/launch/",
            "jobs": f"/api/v2/job_templates/{tid}/jobs/",
            "inventory": f"/api/v2/inventories/{template['inventory']}/",
        }
        return {"url": f"/api/v2/job_templates/{tid}/", "related": related, **template}

    def list_templates(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        fields = ("id", "name", "description", "inventory", "project", "playbook", "job_type", *ASK_FLAGS)
        return self._listing(request, "JobTemplate", [self._template(t) for t in self.templates.values()], fields)

    def template(self, request: Request, tid: int) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        template = self.templates.get(tid)
        if template is None:
            return self.not_found(request)
        if request.method == "PATCH":
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                return json_response({"detail": "JSON parse error - Expecting value: line 1 column 1 (char 0)"}, 400)
            errors = {
                k: ["Must be a valid boolean."]
                for k in (*ASK_FLAGS, "survey_enabled")
                if k in body and not isinstance(body[k], bool)
            }
            if "limit" in body and not isinstance(body["limit"], str):
                errors["limit"] = ["Not a valid string."]
            if errors:
                return json_response(errors, 400)
            template.update(
                {k: v for k, v in body.items() if k in (*ASK_FLAGS, "survey_enabled", "limit", "description")}
            )
            self.changed()
            self.mutation(request, "update", f"job_template:{tid}")
        return json_response(self._template(template))

    def launch(self, request: Request, tid: int) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        template = self.templates.get(tid)
        if template is None:
            return self.not_found(request)
        if request.method == "GET":
            return json_response(self._launch_info(template))
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return json_response({"detail": "JSON parse error - Expecting value: line 1 column 1 (char 0)"}, 400)
        extra = body.get("extra_vars", {})
        if isinstance(extra, str):
            try:
                extra = json.loads(extra) if extra.strip() else {}
            except ValueError:
                return json_response({"extra_vars": ["Cannot parse as JSON (error: Expecting value) or YAML."]}, 400)
        if not isinstance(extra, dict):
            return json_response({"extra_vars": ["Must be a valid JSON or YAML dictionary."]}, 400)
        if "limit" in body and not isinstance(body["limit"], str):
            return json_response({"limit": ["Not a valid string."]}, 400)
        survey = SURVEY if template["survey_enabled"] else ()
        missing = [v for v in survey if v not in extra]
        if missing:
            return json_response({"variables_needed_to_start": [f"'{v}' value missing" for v in missing]}, 400)
        ignored: dict[str, Any] = {}
        accepted = dict(extra)
        if not template["ask_variables_on_launch"]:
            accepted = {k: v for k, v in extra.items() if k in survey}
            if rejected := {k: v for k, v in extra.items() if k not in survey}:
                ignored["extra_vars"] = rejected
        limit = template["limit"]
        if body.get("limit") is not None and body["limit"] != template["limit"]:
            if template["ask_limit_on_launch"]:
                limit = body["limit"]
            else:
                ignored["limit"] = body["limit"]
        jid = self._create_job(template, limit, accepted)
        self.created(f"job:{jid}", "POST", request.path)
        self.changed()
        operation = "uninstall" if accepted.get("fleetgate_state") == "absent" else "assign"
        package = accepted.get("fleetgate_package", "")
        self.mutation(request, operation, f"{limit or 'all'}/{package}", marker_in(json.dumps(accepted)))
        headers = {"Location": f"/api/v2/jobs/{jid}/"}
        return json_response({"job": jid, "ignored_fields": ignored, **self.job_view(jid)}, 201, headers)

    def _launch_info(self, template: dict[str, Any]) -> dict[str, Any]:
        survey = list(SURVEY) if template["survey_enabled"] else []
        return {
            "can_start_without_user_input": not survey and not any(template[f] for f in ASK_FLAGS),
            "passwords_needed_to_start": [],
            **{f: template[f] for f in ASK_FLAGS},
            "survey_enabled": template["survey_enabled"],
            "variables_needed_to_start": survey,
            "credential_needed_to_start": False,
            "inventory_needed_to_start": False,
            "job_template_data": {
                "name": template["name"],
                "id": template["id"],
                "description": template["description"],
            },
            "defaults": {
                "extra_vars": template["extra_vars"],
                "limit": template["limit"],
                "job_type": template["job_type"],
                "job_tags": "",
                "skip_tags": "",
                "verbosity": 0,
                "diff_mode": False,
                "inventory": {"name": "Fleet", "id": template["inventory"]},
                "credentials": [],
                "scm_branch": "",
            },
        }

    def _create_job(self, template: dict[str, Any], limit: str, extra: dict[str, Any]) -> int:
        jid = self.next_id()
        now = self.fleet.now()
        self.jobs[jid] = {
            "id": jid,
            "type": "job",
            "url": f"/api/v2/jobs/{jid}/",
            "job_template": template["id"],
            "name": template["name"],
            "status": "pending",
            "failed": False,
            "limit": limit,
            "inventory": template["inventory"],
            "extra_vars": json.dumps(extra),
            "launch_type": "manual",
        }
        action = "uninstall" if extra.get("fleetgate_state") == "absent" else "install"
        self.deployments[jid] = Deployment(f"awx-{jid}", limit, action, now)
        return jid

    # ---- inventory ------------------------------------------------------------------------

    def groups(self, request: Request, iid: int) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if iid != self.inventory_id:
            return self.not_found(request)
        rows = [
            {"id": gid, "type": "group", "url": f"/api/v2/groups/{gid}/", "name": name, "inventory": iid}
            for name, gid in self.group_ids.items()
        ]
        return self._listing(request, "Group", rows, ("id", "name", "inventory"))

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
