"""The AWX / automation controller UI, simulated: what an administrator changes on the deployment
Fleetgate launched. The Ansible connector's assignment is a job of the deployment template: its
`limit` (the ring group) and its `extra_vars` (`fleetgate_package`, `fleetgate_version`,
`fleetgate_state` present | absent); the newest job per package on a limit (not canceled) is what
the group has. A job's host summaries are written when its play ends, so a package removed by hand
afterwards shows only on the next run: on AWX, missing drift is a job that is gone.

By hand an admin relaunches that job with another limit, version or state (the relaunch replaces
it: the console keeps its id), launches it again on another group (a copy: extra drift), or deletes
the job from the history; copying a deleted job launches it again with its prompts. AWX has no
`available` intent: a job installs (present) or removes (absent). Console ids are job ids.
References: AWX / Automation Controller API Guide, "Relaunching a Job", "Launching a Job Template"
(prompts for `limit` and `extra_vars`), `DELETE /api/v2/jobs/{id}/`.
"""

from __future__ import annotations

import json
from typing import Any

from fleetsim.console import PlaneConsole
from fleetsim.fleet import Deployment


class AwxConsole(PlaneConsole):
    def __init__(self, sim: Any) -> None:
        super().__init__(sim)
        self.deleted: dict[int, dict[str, Any]] = {}  # what an admin can launch again

    def _row(self, jid: int) -> dict[str, Any]:
        job = self.sim.jobs[jid]
        extra = json.loads(job["extra_vars"] or "{}")
        return {
            "id": str(jid),
            "name": str(extra.get("fleetgate_package", "")),
            "version": str(extra.get("fleetgate_version", "")),
            "intent": "uninstall" if extra.get("fleetgate_state") == "absent" else "install",
            "group": job["limit"],
        }

    def assignments(self) -> list[dict[str, Any]]:
        return [self._row(jid) for jid in sorted(self.sim.jobs)]

    def _jid(self, aid: str) -> int:
        if not aid.isdigit() or int(aid) not in self.sim.jobs:
            raise KeyError(aid)
        return int(aid)

    def _apply(self, jid: int, changes: dict[str, Any]) -> None:
        sim, job = self.sim, self.sim.jobs[jid]
        if changes.get("intent") == "available":
            raise ValueError("AWX has no 'available' intent: a job installs (present) or removes (absent)")
        if "group" in changes and changes["group"] not in sim.group_ids:
            raise ValueError(f"No hosts matched the limit '{changes['group']}'.")
        extra = json.loads(job["extra_vars"] or "{}")
        if "version" in changes:
            extra["fleetgate_version"] = changes["version"]
        if "intent" in changes:
            extra["fleetgate_state"] = "absent" if changes["intent"] == "uninstall" else "present"
        job.update(limit=changes.get("group", job["limit"]), extra_vars=json.dumps(extra), launch_type="relaunch")
        action = "uninstall" if extra.get("fleetgate_state") == "absent" else "install"
        sim.deployments[jid] = Deployment(f"awx-{jid}-{sim.next_id()}", job["limit"], action, sim.fleet.now())

    def change(self, aid: str, changes: dict[str, Any]) -> dict[str, Any]:
        jid = self._jid(aid)
        self._apply(jid, changes)
        return self._row(jid)

    def delete(self, aid: str) -> None:
        jid = self._jid(aid)
        self.deleted[jid] = self.sim.jobs.pop(jid)
        self.sim.deployments.pop(jid, None)

    def copy(self, aid: str, changes: dict[str, Any]) -> dict[str, Any]:
        source = self.deleted[int(aid)] if aid.isdigit() and int(aid) in self.deleted else self.sim.jobs[self._jid(aid)]
        new = self.sim.next_id()
        self.sim.jobs[new] = {**source, "id": new, "url": f"/api/v2/jobs/{new}/"}
        self._apply(new, changes)
        return self._row(new)
