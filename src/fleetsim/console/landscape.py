"""The Landscape web portal, simulated: what an administrator changes on the package operation
Fleetgate started on a ring tag (an InstallPackages activity on `tag:<group>`).

By hand an admin installs another version of the package on the tag's computers (GetPackages then
reports that version), removes the package from them (`uninstall`, or `available`: the package
stays in the pocket, installed nowhere), points the operation at another tag, installs it on a
further tag (a copy: extra drift), or deletes the operation (references: Landscape documentation,
legacy API "Packages" — InstallPackages, RemovePackages, GetPackages — and "Activities").
Console ids are activity ids.
"""

from __future__ import annotations

from typing import Any

from fleetsim.console import PlaneConsole
from fleetsim.fleet import Deployment


class LandscapeConsole(PlaneConsole):
    def _row(self, aid: int) -> dict[str, Any]:
        activity, deployment = self.sim.activities[aid], self.sim.deployments[aid]
        return {
            "id": str(aid),
            "name": " ".join(activity["packages"]),
            "version": self.sim.console_version(aid),
            "intent": "uninstall" if deployment.action == "uninstall" else "install",
            "group": str(activity["query"]).removeprefix("tag:"),
        }

    def assignments(self) -> list[dict[str, Any]]:
        return [self._row(aid) for aid in sorted(self.sim.activities)]

    def _aid(self, aid: str) -> int:
        if not aid.isdigit() or int(aid) not in self.sim.activities:
            raise KeyError(aid)
        return int(aid)

    def _apply(self, aid: int, changes: dict[str, Any]) -> None:
        sim = self.sim
        activity, deployment = sim.activities[aid], sim.deployments[aid]
        group, action = deployment.group, deployment.action
        if "group" in changes:
            if sim.fleet.spec(changes["group"]) is None:
                raise ValueError(f"no computers tagged {changes['group']!r}")
            group = changes["group"]
            activity["query"] = f"tag:{group}"
        if "intent" in changes:
            action = "install" if changes["intent"] == "install" else "uninstall"
            verb = "Install" if action == "install" else "Remove"
            activity["summary"] = f"{verb} package {' '.join(activity['packages'])}"
        if "version" in changes:
            sim.set_console_version(aid, changes["version"])
        if (group, action) != (deployment.group, deployment.action) or "version" in changes:
            key = f"landscape-{aid}-console-{sim.next_id()}"
            sim.deployments[aid] = Deployment(key, group, action, sim.fleet.now())

    def change(self, aid: str, changes: dict[str, Any]) -> dict[str, Any]:
        key = self._aid(aid)
        self._apply(key, changes)
        return self._row(key)

    def delete(self, aid: str) -> None:
        key = self._aid(aid)
        self.sim.activities.pop(key)
        self.sim.deployments.pop(key, None)
        self.sim.set_console_version(key, None)

    def copy(self, aid: str, changes: dict[str, Any]) -> dict[str, Any]:
        source = self._aid(aid)
        new = self.sim.next_id()
        self.sim.activities[new] = {**self.sim.activities[source], "id": new}
        old = self.sim.deployments[source]
        self.sim.deployments[new] = Deployment(f"landscape-{new}", old.group, old.action, self.sim.fleet.now())
        self._apply(new, changes)
        return self._row(new)
