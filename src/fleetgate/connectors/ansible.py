"""Ansible AWX / Red Hat Ansible Automation Platform (automation controller).

Targets the controller **REST API v2** (`/api/v2/`): token auth (`Authorization: Bearer` with an
OAuth2 personal access token), `me/`, `job_templates/{id}/launch/` with `extra_vars` and
`limit`, `jobs/` (filtered by `job_template`, `limit`, `extra_vars__icontains`), `jobs/{id}/`
and `jobs/{id}/job_host_summaries/`, `inventories/{id}/groups/` and `groups/{id}/all_hosts/`;
`count/next/previous/results` paging (`page_size` ≤ 200).

Reference used: Ansible AWX / Automation Controller API Guide ("Launching a Job Template",
"Pagination", "Filtering", "Job Host Summaries", "Token-Based Authentication").

AWX stores no packages: publish() only resolves the job template and returns a reference naming
the package, version and artifact; assign()/retire() launch the template with
`fleetgate_state` present / absent and the ring group as `limit`. The correlation marker travels
in `extra_vars.fleetgate_correlation_id`, which is how a crashed launch is found again.

observe() follows the newest job on the group for the app's package that either installs this
version (`present`) or removes the package (`absent`: ok hosts are then `not_installed`); when
hosts failed, their `runner_on_failed` job events give each one's `rc` (detail "1603"; "timeout"
when the task timed out).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

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
    Tally,
    error_code,
)

TEMPLATE_NAME = "Fleetgate software deployment"


class AnsibleConnector(Connector):
    kind = "ansible"
    default_platforms = ("linux",)
    label = "Ansible AWX / AAP"
    api_version = "AWX / automation controller REST API v2"
    required_settings = ()
    required_secrets = ("token",)

    def authenticate(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.secrets.get('token', '')}"}

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
            return int(row["id"])
        raise Permanent(f"ansible: no job template named '{name}'")

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

    def _launch(self, app: AppRef, group: RingGroup, state: str, key: str, op: str) -> OperationResult:
        template = app.attributes.get("template") or str(self._template())
        extra = {
            "fleetgate_correlation_id": self.marker(key),
            "fleetgate_package": app.attributes.get("package", app.name),
            "fleetgate_version": app.version,
            "fleetgate_artifact": app.attributes.get("artifact", ""),
            "fleetgate_sha256": app.attributes.get("sha256", ""),
            "fleetgate_state": state,
        }
        body = {"extra_vars": extra, "limit": group.external_id or group.name}
        job = self.json(
            self.request(
                "POST", f"/api/v2/job_templates/{template}/launch/", json_body=body, dry={"job": 0}, dry_status=201
            )
        )
        return OperationResult(op, str(self.field(job, "job")), status="accepted", correlation=self.marker(key))

    def assign(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult:
        return self._launch(app, group, "absent" if intent.action == "uninstall" else "present", key, "assign")

    def find_assignment(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult | None:
        params = {"job_template": app.attributes.get("template", ""), "extra_vars__icontains": self.marker(key)}
        for job in self._pages("/api/v2/jobs/", params):
            return OperationResult("assign", str(job["id"]), "accepted", self.marker(key))
        return None

    def retire(self, app: AppRef, group: RingGroup, key: str) -> OperationResult:
        return self._launch(app, group, "absent", key, "retire")

    def _latest_jobs(self, group: RingGroup, template: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        for job in self._pages(
            "/api/v2/jobs/", {"job_template": template, "limit": group.external_id or group.name, "page_size": 50}
        ):
            try:
                extra = json.loads(job.get("extra_vars") or "{}")
            except ValueError:
                extra = {}
            yield job, extra

    def observe(self, app: AppRef, group: RingGroup) -> ObserveResult:
        tally = Tally(page_size=self.config.page_size)
        package = app.attributes.get("package", "")
        found = next(
            (
                (j, extra)
                for j, extra in self._latest_jobs(group, app.attributes.get("template", ""))
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
        failed: list[dict[str, Any]] = []
        seen = 0
        for row in self._pages(f"/api/v2/jobs/{job['id']}/job_host_summaries/", {"page_size": 200}, tally):
            seen += 1
            if row.get("failures"):
                state = "failed"
            elif row.get("dark"):
                state = "pending"  # unreachable this run; it will be retried
            elif row.get("skipped") and not row.get("changed") and row.get("ok", 0) <= 1:
                state = "not_applicable"
            else:
                state = "not_installed" if action == "uninstall" else "installed"
            if state == "failed":
                failed.append(row)
                continue
            tally.add(
                DeviceStatus(
                    str(row.get("host")),
                    str(row.get("host_name", "")),
                    state,
                    " ".join(f"{k}={row.get(k)}" for k in ("ok", "changed", "failures", "dark")),
                )
            )
        codes = self._failure_codes(job["id"]) if failed else {}
        for row in failed:
            tally.add(
                DeviceStatus(
                    str(row.get("host")), str(row.get("host_name", "")), "failed", codes.get(row.get("host"), "")
                )
            )
        total = self.group_size(group)
        for _ in range(max(0, total - seen)):
            tally.counts["pending"] += 1  # hosts the running job has not reached yet
        return tally.result(action)

    def _failure_codes(self, job_id: Any) -> dict[Any, str]:
        codes: dict[Any, str] = {}
        for event in self._pages(f"/api/v2/jobs/{job_id}/job_events/", {"event": "runner_on_failed", "page_size": 200}):
            res = (event.get("event_data") or {}).get("res") or {}
            codes.setdefault(event.get("host"), error_code(res.get("rc"), str(res.get("msg") or "")) or "failed")
        return codes

    def group_size(self, group: RingGroup) -> int:
        inventory = self.config.settings.get("inventory_id", 1)
        groups = list(
            self._pages(f"/api/v2/inventories/{inventory}/groups/", {"name": group.external_id or group.name})
        )
        if not groups:
            raise Permanent(f"ansible: no inventory group named '{group.name}'")
        body = self.json(
            self.request("GET", f"/api/v2/groups/{groups[0]['id']}/all_hosts/", params={"page_size": 1}, safe=True)
        )
        return int(body.get("count", 0))

    def inventory(self, group: RingGroup) -> list[InventoryItem]:
        latest: dict[str, InventoryItem] = {}
        template = str(self.config.settings.get("job_template_id") or self._template())
        for job, extra in self._latest_jobs(group, template):
            package = str(extra.get("fleetgate_package", ""))
            if package and package not in latest and job.get("status") == "successful":
                intent = "uninstall" if extra.get("fleetgate_state") == "absent" else "install"
                latest[package] = InventoryItem(
                    str(job["id"]), package, str(extra.get("fleetgate_version", "")), intent, group.name
                )
        return list(latest.values())
