"""Ansible AWX / Red Hat Ansible Automation Platform (automation controller), REST API **v2**.

Requests: `me/`; `job_templates/?name=`; `job_templates/{id}/launch/` GET (what may be set at
launch) then POST `{"extra_vars", "limit"}`; `jobs/` filtered by `job_template`, `limit__exact`,
`launch_type` and ordered `order_by=-id`; `jobs/{id}/`; `jobs/{id}/cancel/`;
`jobs/{id}/job_host_summaries/`; `jobs/{id}/job_events/?event=runner_on_failed&failed=true`;
`inventories/{id}/groups/?name=` and `groups/{id}/all_hosts/`. Lists are `count/next/previous/
results`; `next` (a relative link) is followed; `page_size` ≤ 200.

Auth: `Authorization: Bearer <OAuth2 personal access token>` (secret `token`); or, with
`settings.auth = "basic"` and `settings.username` (AWX with AUTH_BASIC_ENABLED), HTTP basic auth
with `token` holding that user's password. 429 / 503 go through the one retry layer (Retry-After).

What AWX does that this connector guards against (checked 2026-12-02 against the AWX source,
ansible/awx `awx/api/filters.py` FieldLookupBackend, `awx/main/models/jobs.py`
`_accept_or_ignore_job_kwargs`, `awx/api/views/__init__.py` JobTemplateLaunch,
`awx/api/pagination.py`, and the Automation Controller API Guide: "Launching a Job Template",
"Filtering", "Pagination", "Token-Based Authentication"; awxkit 24.6.1 for the client's requests):
- `limit` is a reserved query name, skipped by the list filter: the ring filter is
  `limit__exact`, and every job that comes back is checked for `job['limit']` again;
- filtering on `extra_vars` answers 403: a crashed launch is found among the template's newest
  manual jobs on the group, its marker confirmed in the job detail's `extra_vars`;
- a field the template does not prompt for is dropped into `ignored_fields` and the job runs with
  the template's value (an empty limit = the whole inventory): the launch is refused
  (PolicyViolation) unless `ask_limit_on_launch` and `ask_variables_on_launch` are set, and a job
  launched with ignored fields anyway is canceled at once and refused the same way;
- host summaries are written when the play ends: until the job finished (and its events are
  processed), the group's hosts are pending, except those whose `runner_on_failed` events say
  they failed.

AWX stores no packages: publish() only resolves the job template and returns a reference naming
the package, version and artifact; assign()/retire() launch the template with `fleetgate_state`
present / absent and the ring group as `limit`. The correlation marker travels in
`extra_vars.fleetgate_correlation_id`. observe() follows the newest job on the group for the app's
package that installs this version (`present`) or removes the package (`absent`: ok hosts are
then `not_installed`); a failed host's `rc` comes from its `runner_on_failed` event ("1603";
"timeout" when the task timed out).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

from fleetgate.connectors import group_lists
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
    PlaneGroup,
    PolicyViolation,
    RingGroup,
    Tally,
    error_code,
)
from fleetgate.connectors.errors import ConnectorError

TEMPLATE_NAME = "Fleetgate software deployment"
FIND_LOOKBACK = 200  # a crashed launch is among the newest jobs of its template on its group
ENDED = ("successful", "failed")  # the play ran to its end: host summaries exist
PATTERN = set(",:!&*~[]") | {" "}  # Ansible host-pattern syntax: a ring group is a single name


def _vars(job: dict[str, Any]) -> dict[str, Any]:
    raw = job.get("extra_vars")
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


class AnsibleConnector(Connector):
    kind = "ansible"
    default_platforms = ("linux",)
    label = "Ansible AWX / AAP"
    api_version = "AWX / automation controller REST API v2"
    required_settings = ()
    required_secrets = ("token",)

    def authenticate(self) -> dict[str, str]:
        secret = self.config.secrets.get("token", "")
        if str(self.config.settings.get("auth", "bearer")).lower() == "basic":
            user = str(self.config.settings.get("username", "")).strip()
            if not user:
                raise Permanent("ansible: settings.auth is 'basic' but settings.username is empty")
            return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}
        return {"Authorization": f"Bearer {secret}"}

    def _pages(self, url: str, params: dict[str, Any], tally: Tally | None = None) -> Iterator[dict[str, Any]]:
        next_url: str | None = url
        first = True
        while next_url:
            body = self.json(self.request("GET", next_url, params=params if first else None, safe=True))
            first = False
            if tally is not None:
                tally.pages_read += 1
            yield from self.field(body, "results")
            next_url = body.get("next")

    def check(self) -> CheckResult:
        def probe() -> str:
            users = self.field(self.json(self.request("GET", "/api/v2/me/", safe=True)), "results")
            return f"signed in as {users[0]['username']}" if users else "token accepted"

        return self.timed_check(probe)

    def _template(self) -> int:
        configured = self.config.settings.get("job_template_id")
        if configured:
            return int(configured)
        name = str(self.config.settings.get("job_template", TEMPLATE_NAME))
        for row in self._pages("/api/v2/job_templates/", {"name": name}):
            if row.get("name") == name:
                return int(row["id"])
        raise Permanent(f"ansible: no job template named '{name}'")

    def _template_of(self, app: AppRef) -> str:
        return app.attributes.get("template") or str(self._template())

    @staticmethod
    def _limit(group: RingGroup) -> str:
        limit = group.external_id or group.name
        if not limit or PATTERN & set(limit):
            raise Permanent(f"ansible: '{limit}' is not a single inventory group name usable as a limit")
        return limit

    def _package(self, artifact: Artifact) -> str:
        return artifact.package_name or artifact.name.lower().replace(" ", "-")

    def publish(self, artifact: Artifact, key: str) -> AppRef:
        template = self._template()
        package = self._package(artifact)
        return AppRef(
            self.kind,
            f"{template}:{package}={artifact.version}",
            artifact.name,
            artifact.version,
            {"template": str(template), "package": package, "artifact": artifact.filename, "sha256": artifact.sha256},
        )

    def find_published(self, artifact: Artifact, key: str) -> AppRef | None:
        return None  # publish changes nothing on AWX: redo it

    # ---- launching ----------------------------------------------------------------------------

    def _launchable(self, template: str, limit: str) -> None:
        """Refuse before launching what AWX would run elsewhere or without our variables."""
        info = self.json(self.request("GET", f"/api/v2/job_templates/{template}/launch/", safe=True))
        defaults = info.get("defaults") or {}
        if not info.get("ask_limit_on_launch") and defaults.get("limit") != limit:
            where = f"'{defaults.get('limit')}'" if defaults.get("limit") else "its whole inventory"
            raise PolicyViolation(
                f"ansible: job template {template} does not prompt for a limit (ask_limit_on_launch is false): "
                f"a launch would run on {where}, not on {limit}; refused"
            )
        if not info.get("ask_variables_on_launch"):
            raise PolicyViolation(
                f"ansible: job template {template} does not prompt for variables (ask_variables_on_launch is "
                "false): the package, version and correlation marker would be dropped; refused"
            )
        if info.get("passwords_needed_to_start"):
            needed = ", ".join(map(str, info["passwords_needed_to_start"]))
            raise Permanent(f"ansible: job template {template} needs passwords to start ({needed})")

    def _launch(self, app: AppRef, group: RingGroup, state: str, key: str, op: str) -> OperationResult:
        template, limit = self._template_of(app), self._limit(group)
        self._launchable(template, limit)
        extra = {
            "fleetgate_correlation_id": self.marker(key),
            "fleetgate_package": app.attributes.get("package", app.name),
            "fleetgate_version": app.version,
            "fleetgate_artifact": app.attributes.get("artifact", ""),
            "fleetgate_sha256": app.attributes.get("sha256", ""),
            "fleetgate_state": state,
        }
        dry = {"job": 0, "ignored_fields": {}, "limit": limit}
        job = self.json(
            self.request(
                "POST",
                f"/api/v2/job_templates/{template}/launch/",
                json_body={"extra_vars": extra, "limit": limit},
                dry=dry,
                dry_status=201,
            )
        )
        job_id = self.field(job, "job")
        ignored = job.get("ignored_fields") or {}
        if ignored or job.get("limit", limit) != limit:
            canceled = self._cancel(job_id)
            raise PolicyViolation(
                f"ansible: AWX ignored {', '.join(sorted(ignored)) or 'the limit'} when launching job {job_id} "
                f"(it would run with limit '{job.get('limit', '')}'); {canceled}"
            )
        return OperationResult(op, str(job_id), status="accepted", correlation=self.marker(key))

    def _cancel(self, job_id: Any) -> str:
        try:
            self.request("POST", f"/api/v2/jobs/{job_id}/cancel/", dry={}, dry_status=202)
        except ConnectorError as exc:
            return f"canceling it failed ({exc.message}): cancel job {job_id} by hand"
        return "the job was canceled"

    def assign(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult:
        return self._launch(app, group, "absent" if intent.action == "uninstall" else "present", key, "assign")

    def find_assignment(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult | None:
        marker, limit = self.marker(key), self._limit(group)
        params = {
            "job_template": self._template_of(app),
            "limit__exact": limit,
            "launch_type": "manual",
            "order_by": "-id",
            "page_size": FIND_LOOKBACK,
        }
        body = self.json(self.request("GET", "/api/v2/jobs/", params=params, safe=True))
        for job in self.field(body, "results"):
            listed = job.get("extra_vars")
            if job.get("limit") != limit or (listed is not None and marker not in str(listed)):
                continue
            detail = self.json(self.request("GET", f"/api/v2/jobs/{job['id']}/", safe=True))
            if _vars(detail).get("fleetgate_correlation_id") == marker:
                return OperationResult("assign", str(job["id"]), "accepted", marker)
        return None

    def retire(self, app: AppRef, group: RingGroup, key: str) -> OperationResult:
        return self._launch(app, group, "absent", key, "retire")

    # ---- reading --------------------------------------------------------------------------------

    def _latest_jobs(self, group: RingGroup, template: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """The template's jobs on exactly this group, newest first, with their extra vars."""
        limit = self._limit(group)
        params = {"job_template": template, "limit__exact": limit, "order_by": "-id", "page_size": 50}
        for job in self._pages("/api/v2/jobs/", params):
            if job.get("limit") != limit:
                continue  # never trust a filter the server might have skipped
            if "extra_vars" not in job:
                job = self.json(self.request("GET", f"/api/v2/jobs/{job['id']}/", safe=True))
            yield job, _vars(job)

    def observe(self, app: AppRef, group: RingGroup) -> ObserveResult:
        tally = Tally(page_size=self.config.page_size)
        package = app.attributes.get("package", "")
        found = next(
            (
                (j, extra)
                for j, extra in self._latest_jobs(group, self._template_of(app))
                if extra.get("fleetgate_package") == package
                and (
                    extra.get("fleetgate_state") == "absent"
                    or (
                        extra.get("fleetgate_state") == "present"
                        and extra.get("fleetgate_version") in (None, app.version)
                    )
                )
            ),
            None,
        )
        if found is None:
            return tally.result()
        job, extra = found
        action = "uninstall" if extra.get("fleetgate_state") == "absent" else "install"
        total = self.group_size(group)
        detail = self.json(self.request("GET", f"/api/v2/jobs/{job['id']}/", safe=True))
        ended = detail.get("status") in ENDED and detail.get("event_processing_finished", True)
        failed = self._failures(job["id"], tally) if not ended or detail.get("failed") else {}
        if not ended:
            for host, (name, code) in failed.items():  # the play is still on: no summaries yet
                tally.add(DeviceStatus(str(host), name, "failed", code))
            tally.counts["pending"] += max(0, total - len(failed))
            return tally.result(action)
        seen = 0
        for row in self._pages(f"/api/v2/jobs/{job['id']}/job_host_summaries/", {"page_size": 200}, tally):
            seen += 1
            host = row.get("host") if row.get("host") is not None else row.get("host_name")
            if row.get("failures"):
                tally.add(
                    DeviceStatus(str(host), str(row.get("host_name", "")), "failed", failed.get(host, ("", ""))[1])
                )
                continue
            if row.get("dark"):
                state = "pending"  # unreachable this run; it will be retried
            elif row.get("skipped") and not row.get("changed") and row.get("ok", 0) <= 1:
                state = "not_applicable"
            else:
                state = "not_installed" if action == "uninstall" else "installed"
            counts = " ".join(f"{k}={row.get(k)}" for k in ("ok", "changed", "failures", "dark"))
            tally.add(DeviceStatus(str(host), str(row.get("host_name", "")), state, counts))
        tally.counts["pending"] += max(0, total - seen)  # hosts the play never reached
        return tally.result(action)

    def _failures(self, job_id: Any, tally: Tally) -> dict[Any, tuple[str, str]]:
        """Host -> (name, error code) from the job's failed `runner_on_failed` events."""
        failed: dict[Any, tuple[str, str]] = {}
        params = {"event": "runner_on_failed", "failed": "true", "page_size": 200}
        for event in self._pages(f"/api/v2/jobs/{job_id}/job_events/", params, tally):
            res = (event.get("event_data") or {}).get("res") or {}
            code = error_code(res.get("rc"), str(res.get("msg") or "")) or "failed"
            failed.setdefault(event.get("host"), (str(event.get("host_name", "")), code))
        return failed

    def group_size(self, group: RingGroup) -> int:
        inventory = self.config.settings.get("inventory_id", 1)
        name = self._limit(group)
        groups = [
            g for g in self._pages(f"/api/v2/inventories/{inventory}/groups/", {"name": name}) if g["name"] == name
        ]
        if not groups:
            raise Permanent(f"ansible: no inventory group named '{name}' in inventory {inventory}")
        body = self.json(
            self.request("GET", f"/api/v2/groups/{groups[0]['id']}/all_hosts/", params={"page_size": 1}, safe=True)
        )
        return int(self.field(body, "count"))

    def list_groups(self, search: str = "", limit: int = 50) -> list[PlaneGroup]:
        return group_lists.ansible(self, search, limit)

    def inventory(self, group: RingGroup) -> list[InventoryItem]:
        """The newest job per package on the group is what is assigned there (canceled or errored
        jobs changed nothing and are passed over)."""
        latest: dict[str, InventoryItem] = {}
        template = str(self.config.settings.get("job_template_id") or self._template())
        for job, extra in self._latest_jobs(group, template):
            package = str(extra.get("fleetgate_package", ""))
            if package and package not in latest and job.get("status") not in ("canceled", "error"):
                intent = "uninstall" if extra.get("fleetgate_state") == "absent" else "install"
                latest[package] = InventoryItem(
                    str(job["id"]), package, str(extra.get("fleetgate_version", "")), intent, group.name
                )
        return list(latest.values())
