"""The Configuration Manager console, simulated (a mixin of `SccmSim`): what an administrator changes
by hand on an application deployment (`SMS_ApplicationAssignment`) Fleetgate made — its version
(the application it deploys), its intent (DesiredConfigType 2 uninstall, OfferTypeID 2 available),
its collection — or deletes or copies (see `fleetsim/console/__init__.py` for the HTTP routes).
Console ids are AssignmentIDs."""

from __future__ import annotations

from typing import Any

from fleetsim.fleet import Deployment


class SccmConsole:
    """Mixed into SccmSim, which holds assignments, collections, deployments, fleet and next_id."""

    assignments: dict[int, dict[str, Any]]
    collections: dict[str, str]
    deployments: dict[int, Deployment]

    def _console_row(self, aid: int) -> dict[str, Any]:
        row = self.assignments[aid]
        name, _, version = str(row["ApplicationName"]).rpartition(" ")
        intent = "uninstall" if row["DesiredConfigType"] == 2 else "available" if row["OfferTypeID"] == 2 else "install"
        return {"id": str(aid), "name": name, "version": version, "intent": intent, "group": row["CollectionName"]}

    def console_assignments(self) -> list[dict[str, Any]]:
        return [self._console_row(aid) for aid in self.assignments]

    def _aid(self, aid: str) -> int:
        if not aid.isdigit() or int(aid) not in self.assignments:
            raise KeyError(aid)
        return int(aid)

    def _apply(self, aid: int, changes: dict[str, Any]) -> None:
        row = self.assignments[aid]
        if "version" in changes:
            name = str(row["ApplicationName"]).rpartition(" ")[0]
            row["ApplicationName"] = f"{name} {changes['version']}"
        if "intent" in changes:
            row["DesiredConfigType"] = 2 if changes["intent"] == "uninstall" else 1
            row["OfferTypeID"] = 2 if changes["intent"] == "available" else 0
        if "group" in changes:
            cid = next((c for c, n in self.collections.items() if n == changes["group"]), None)
            if cid is None:
                raise ValueError(f"no collection for group {changes['group']!r}")
            row["TargetCollectionID"], row["CollectionName"] = cid, changes["group"]
        action = "uninstall" if row["DesiredConfigType"] == 2 else "install"
        self.deployments[aid] = Deployment(f"sccm-{aid}-console", row["CollectionName"], action, self.fleet.now())

    def console_change(self, aid: str, changes: dict[str, Any]) -> dict[str, Any]:
        key = self._aid(aid)
        self._apply(key, changes)
        return self._console_row(key)

    def console_delete(self, aid: str) -> None:
        key = self._aid(aid)
        self.assignments.pop(key)
        self.deployments.pop(key, None)

    def console_copy(self, aid: str, changes: dict[str, Any]) -> dict[str, Any]:
        source = self.assignments[self._aid(aid)]
        new = 16780000 + self.next_id()
        self.assignments[new] = {
            **source,
            "AssignmentID": new,
            "AssignmentName": f"{source['AssignmentName']} (copy)",
            "AssignmentDescription": "created in the console",
        }
        self._apply(new, changes)
        return self._console_row(new)
