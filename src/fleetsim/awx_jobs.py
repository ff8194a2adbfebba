"""The AWX simulator's jobs: their lifecycle, list filtering, cancel, host summaries and events.

A job's outcome per host is the shared fleet model's (`Fleet.state`) for the job's deployment; the
play ends when the last host that can report has reported (offline and air-gapped hosts then end
unreachable, `dark`). Host summaries are written at the end of the play, as AWX writes them from
the `playbook_on_stats` event: a pending, running or canceled job has none.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fleetsim.awx_lookup import LookupError_, filter_rows, order_rows
from fleetsim.counters import marker_in
from fleetsim.fleet import Device
from fleetsim.groups import exit_status
from fleetsim.server import json_response

if TYPE_CHECKING:
    from fleetsim.awx import AwxSim

START_S = 5.0  # pending -> running
UNREACHABLE_S = 30.0  # how long the play waits on hosts that never answer when no host does
FINISHED = ("successful", "failed", "error", "canceled")
JOB_FIELDS = (
    "id",
    "name",
    "description",
    "job_template",
    "unified_job_template",
    "inventory",
    "project",
    "playbook",
    "job_type",
    "limit",
    "job_tags",
    "skip_tags",
    "launch_type",
    "status",
    "failed",
    "created",
    "modified",
    "started",
    "finished",
    "elapsed",
    "verbosity",
)


class JobsMixin:
    def job_rules(self: AwxSim, v2: str) -> list[Rule]:
        return [
            Rule(f"{v2}/jobs/", methods=["GET"], endpoint="list_jobs"),
            Rule(f"{v2}/jobs/<int:jid>/", methods=["GET"], endpoint="get_job"),
            Rule(f"{v2}/jobs/<int:jid>/cancel/", methods=["GET", "POST"], endpoint="cancel_job"),
            Rule(f"{v2}/jobs/<int:jid>/job_host_summaries/", methods=["GET"], endpoint="host_summaries"),
            Rule(f"{v2}/jobs/<int:jid>/job_events/", methods=["GET"], endpoint="job_events"),
        ]

    def _listing(self: AwxSim, request: Request, model: str, rows: list[Any], fields: tuple[str, ...]) -> Response:
        try:
            kept = filter_rows(model, rows, request.args, fields, prevent=("extra_vars",))
            return self._page(request, order_rows(kept, request.args, fields))
        except LookupError_ as refused:
            return json_response(refused.body, refused.status)

    # ---- lifecycle --------------------------------------------------------------------------

    def job_hosts(self: AwxSim, jid: int) -> list[Device]:
        """The limit group's devices; an empty limit runs on every host of the inventory."""
        limit = self.jobs[jid]["limit"]
        if not limit:
            return [d for name in self.fleet.group_names() for d in self.fleet.devices(name)]
        return self.fleet.devices(limit)

    def finish_at(self: AwxSim, jid: int) -> float:
        """Fleet time the play ends: after the last host that can report has reported."""

        def compute() -> float:
            deployment = self.deployments[jid]
            delays = [self.fleet.report_delay(deployment, d) for d in self.job_hosts(jid)]
            finite = [d for d in delays if math.isfinite(d)]
            tail = UNREACHABLE_S if len(finite) < len(delays) else 0.0
            # a millisecond on, so the host that reports last has reported despite float rounding
            return deployment.assigned_at + max(START_S, tail, *finite) + 0.001

        return float(self.cached(("finish", jid), compute, ttl=math.inf))

    def _summary_rows(self: AwxSim, jid: int) -> list[dict[str, Any]]:
        deployment, end = self.deployments[jid], self.finish_at(jid)
        rows = []
        for device in self.job_hosts(jid):
            state = self.fleet.state(deployment, device, at=end)
            done = state in ("installed", "not_installed")
            rows.append(
                {
                    "id": jid * 100000 + device.index,
                    "type": "job_host_summary",
                    "url": f"/api/v2/job_host_summaries/{jid * 100000 + device.index}/",
                    "job": jid,
                    "host": 1000 + device.index,
                    "host_name": device.name,
                    "changed": 1 if done else 0,
                    "dark": 1 if state == "pending" else 0,
                    "failures": 1 if state == "failed" else 0,
                    "ok": 3 if done else (1 if state != "pending" else 0),
                    "processed": 1,
                    "skipped": 3 if state == "not_applicable" else 0,
                    "failed": state in ("failed", "pending"),
                    "ignored": 0,
                    "rescued": 0,
                }
            )
        return rows

    def summaries(self: AwxSim, jid: int) -> list[dict[str, Any]]:
        return list(self.cached(("summaries", jid), lambda: self._summary_rows(jid), ttl=math.inf))

    def job_status(self: AwxSim, jid: int) -> str:
        now, deployment = self.fleet.now(), self.deployments[jid]
        if self.canceled.get(jid, -math.inf) >= deployment.assigned_at:  # a relaunch runs again
            return "canceled"
        if now < deployment.assigned_at + START_S:
            return "pending"
        if now < self.finish_at(jid):
            return "running"
        return "failed" if any(r["failed"] for r in self.summaries(jid)) else "successful"

    def job_view(self: AwxSim, jid: int, detail: bool = False) -> dict[str, Any]:
        """The job as AWX's serializer renders it: public fields only."""
        from fleetsim.awx import stamp

        job, deployment = self.jobs[jid], self.deployments[jid]
        status = self.job_status(jid)
        started = deployment.assigned_at + START_S
        ended = (self.canceled[jid] if status == "canceled" else self.finish_at(jid)) if status in FINISHED else None
        view = {
            "id": jid,
            "type": "job",
            "url": f"/api/v2/jobs/{jid}/",
            "related": {
                "job_template": f"/api/v2/job_templates/{job['job_template']}/",
                "inventory": f"/api/v2/inventories/{job['inventory']}/",
                "job_events": f"/api/v2/jobs/{jid}/job_events/",
                "job_host_summaries": f"/api/v2/jobs/{jid}/job_host_summaries/",
                "cancel": f"/api/v2/jobs/{jid}/cancel/",
            },
            "created": stamp(deployment.assigned_at),
            "modified": stamp(ended if ended is not None else deployment.assigned_at),
            "name": job["name"],
            "description": "",
            "job_type": "run",
            "inventory": job["inventory"],
            "project": 3,
            "playbook": "deploy_package.yml",
            "limit": job["limit"],
            "extra_vars": job["extra_vars"],
            "job_tags": "",
            "skip_tags": "",
            "verbosity": 0,
            "launch_type": job.get("launch_type", "manual"),
            "status": status,
            "failed": status in ("failed", "error"),
            "started": stamp(started) if status != "pending" else None,
            "finished": stamp(ended) if ended is not None else None,
            "elapsed": round(max(0.0, (ended if ended is not None else self.fleet.now()) - started), 3),
            "job_template": job["job_template"],
            "unified_job_template": job["job_template"],
        }
        if detail:
            view["event_processing_finished"] = status in FINISHED
        return view

    # ---- endpoints --------------------------------------------------------------------------

    def _visible_jobs(self: AwxSim) -> list[dict[str, Any]]:
        return [self.job_view(j) for j in sorted(self.jobs) if self.visibility.visible(f"job:{j}")]

    def list_jobs(self: AwxSim, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        return self._listing(request, "Job", self._visible_jobs(), JOB_FIELDS)

    def template_jobs(self: AwxSim, request: Request, tid: int) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if tid not in self.templates:
            return self.not_found(request)
        rows = [r for r in self._visible_jobs() if r["job_template"] == tid]
        return self._listing(request, "Job", rows, JOB_FIELDS)

    def _known(self: AwxSim, jid: int) -> bool:
        return jid in self.jobs and self.visibility.visible(f"job:{jid}")

    def get_job(self: AwxSim, request: Request, jid: int) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        return json_response(self.job_view(jid, detail=True)) if self._known(jid) else self.not_found(request)

    def cancel_job(self: AwxSim, request: Request, jid: int) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if jid not in self.jobs:
            return self.not_found(request)
        can_cancel = self.job_status(jid) in ("pending", "running")
        if request.method == "GET":
            return json_response({"can_cancel": can_cancel})
        if not can_cancel:
            return json_response({"detail": 'Method "POST" not allowed.'}, 405)
        self.canceled[jid] = self.fleet.now()
        self.changed()
        self.mutation(request, "update", f"job:{jid}/cancel", marker_in(self.jobs[jid]["extra_vars"]))
        return Response(status=202)

    def host_summaries(self: AwxSim, request: Request, jid: int) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if jid not in self.jobs:
            return self.not_found(request)
        finished = self.job_status(jid) in ("successful", "failed")
        return self._listing(
            request,
            "JobHostSummary",
            self.summaries(jid) if finished else [],
            ("id", "host", "host_name", "failed", "changed", "dark", "failures", "ok", "skipped"),
        )

    def _failed_events(self: AwxSim, jid: int) -> list[dict[str, Any]]:
        deployment = self.deployments[jid]
        stop = self.canceled[jid] if self.job_status(jid) == "canceled" else self.finish_at(jid)
        moment = min(self.fleet.now(), stop)
        rows = []
        for device in self.job_hosts(jid):
            if self.fleet.state(deployment, device, at=moment) != "failed":
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
                    "url": f"/api/v2/job_events/{jid * 100000 + device.index}/",
                    "job": jid,
                    "event": "runner_on_failed",
                    "failed": True,
                    "changed": False,
                    "host": 1000 + device.index,
                    "host_name": device.name,
                    "task": "Install the package",
                    "event_data": {"res": res},
                }
            )
        return rows

    def job_events(self: AwxSim, request: Request, jid: int) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if jid not in self.jobs:
            return self.not_found(request)
        rows = self.cached(("events", jid), lambda: self._failed_events(jid))  # only failures are simulated
        fields = ("id", "event", "failed", "changed", "host", "host_name", "task", "job")
        return self._listing(request, "JobEvent", rows, fields)
