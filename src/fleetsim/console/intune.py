"""The Intune admin center, simulated: what an administrator changes on an app's group assignment.

An assignment is one entry of `mobileApps/{id}/assignments` (intent, group target, settings). By
hand an admin changes its intent (required → available, or uninstall), its deadline (the win32
app's `installTimeSettings.deadlineDateTime`), or its target group, adds one for another group, or
deletes it (references: Microsoft Graph v1.0 "mobileAppAssignment", "win32LobAppAssignmentSettings",
"mobileAppInstallTimeSettings"; Intune docs "Assign apps to groups with Microsoft Intune").
Console ids are `<app id>:<group id>`. Versions are separate app objects in Intune, so the console
does not change an assignment's version.
"""

from __future__ import annotations

from typing import Any

from fleetsim.console import PlaneConsole
from fleetsim.fleet import Deployment

INTENTS = {"install": "required", "available": "available", "uninstall": "uninstall"}
SETTINGS_TYPE = "#microsoft.graph.win32LobAppAssignmentSettings"


class IntuneConsole(PlaneConsole):
    fields = ("intent", "group", "deadline")

    def _row(self, app_id: str, item: dict[str, Any]) -> dict[str, Any]:
        app, group_id = self.sim.apps[app_id], item["target"].get("groupId", "")
        version = self.sim.app_version(app_id)  # v1.0 has no version property: Fleetgate writes it in the description
        intent = {"required": "install", "uninstall": "uninstall"}.get(item["intent"], "available")
        times = (item.get("settings") or {}).get("installTimeSettings") or {}
        return {
            "id": f"{app_id}:{group_id}",
            "name": str(app.get("displayName", "")).removesuffix(f" {version}"),
            "version": version,
            "intent": intent,
            "group": self.sim.groups.get(group_id, ""),
            "deadline": times.get("deadlineDateTime"),
        }

    def assignments(self) -> list[dict[str, Any]]:
        return [self._row(app_id, item) for app_id, items in self.sim.assignments.items() for item in items]

    def _find(self, aid: str) -> tuple[str, dict[str, Any]]:
        app_id, _, group_id = aid.partition(":")
        for item in self.sim.assignments.get(app_id, []):
            if item["target"].get("groupId") == group_id:
                return app_id, item
        raise KeyError(aid)

    def _group_id(self, name: str) -> str:
        found = [gid for gid, n in self.sim.groups.items() if n == name]
        if not found:
            raise ValueError(f"no Entra ID group named {name!r}")
        return found[0]

    def _apply(self, app_id: str, item: dict[str, Any], changes: dict[str, Any]) -> None:
        sim, old_group = self.sim, item["target"].get("groupId", "")
        if "group" in changes:
            new_group = self._group_id(changes["group"])
            if new_group != old_group and any(
                a["target"].get("groupId") == new_group for a in sim.assignments.get(app_id, [])
            ):
                raise ValueError(f"the app is already assigned to {changes['group']}")
            item["target"] = {**item["target"], "groupId": new_group}
            item["id"] = f"{new_group}_0_0"
        if "intent" in changes:
            item["intent"] = INTENTS[changes["intent"]]
        if "deadline" in changes and changes["deadline"] is None:
            item.pop("settings", None)
        elif "deadline" in changes:
            item["settings"] = {
                "@odata.type": SETTINGS_TYPE,
                "notifications": "showAll",
                "installTimeSettings": {
                    "useLocalTime": False,
                    "startDateTime": None,
                    "deadlineDateTime": changes["deadline"],
                },
            }
        self._deploy(app_id, old_group, item)

    def _deploy(self, app_id: str, old_group: str, item: dict[str, Any]) -> None:
        """As `assign` does: a group's devices act when the install/uninstall action changes; an
        `available` assignment pushes nothing (the group's devices keep what they have)."""
        sim, group_id = self.sim, item["target"]["groupId"]
        current = sim.deployments.pop((app_id, old_group), None)
        if item["intent"] == "available":  # what was installed stays (and keeps reporting)
            if current is not None and old_group == group_id:
                sim.deployments[(app_id, group_id)] = current
            return
        action = "uninstall" if item["intent"] == "uninstall" else "install"
        if current is None or current.action != action or old_group != group_id:
            current = Deployment(f"{app_id}:{group_id}:{action}", sim.groups[group_id], action, sim.fleet.now())
        sim.deployments[(app_id, group_id)] = current

    def change(self, aid: str, changes: dict[str, Any]) -> dict[str, Any]:
        app_id, item = self._find(aid)
        self._apply(app_id, item, changes)
        return self._row(app_id, item)

    def delete(self, aid: str) -> None:
        app_id, item = self._find(aid)
        self.sim.assignments[app_id] = [a for a in self.sim.assignments[app_id] if a is not item]
        self.sim.deployments.pop((app_id, item["target"].get("groupId", "")), None)
        self.sim.apps[app_id]["isAssigned"] = bool(self.sim.assignments[app_id])

    def copy(self, aid: str, changes: dict[str, Any]) -> dict[str, Any]:
        app_id, source = self._find(aid)
        if "group" not in changes:
            raise ValueError("a copy needs another group (an app has one assignment per group)")
        item = {**source, "target": dict(source["target"]), "settings": source.get("settings")}
        group_id = self._group_id(changes["group"])
        if any(a["target"].get("groupId") == group_id for a in self.sim.assignments[app_id]):
            raise ValueError(f"the app is already assigned to {changes['group']}")
        item["target"]["groupId"], item["id"] = group_id, f"{group_id}_0_0"
        self.sim.assignments[app_id].append(item)
        self._apply(app_id, item, {k: v for k, v in changes.items() if k != "group"})
        return self._row(app_id, item)
