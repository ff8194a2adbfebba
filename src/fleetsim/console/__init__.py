"""The simulators' console: out-of-band changes an administrator makes by hand, over HTTP.

- `POST /_sim/console/devices/<uninstalled|offline|restored> {"group", "count" | "devices": [...]}`:
  the app removed from devices by hand, devices that stop reporting, or undone (every plane: the
  shared `Fleet` model)
- `GET /_sim/console/assignments`: every assignment as {"id", "name", "version", "intent", "group"}
- `POST /_sim/console/assignments/<id> {"version"?, "intent"?: install|available|uninstall, "group"?,
  "deadline"?}` (a field the plane has no such setting for answers 400)
- `DELETE /_sim/console/assignments/<id>`
- `POST /_sim/console/assignments {"copy_of": <id>, "group"?, "version"?, "intent"?}`: a new
  assignment like another (to a group no intent targets: extra drift)
What an assignment is, per plane: SCCM an application deployment, Jamf a policy (both implemented
in their plane modules, `console_*`); Intune an app's group assignment (`intune.py` here), Landscape
a package activity on a tag (`landscape.py`), AWX a job of the deployment template with its limit
(`awx.py`). Console requests are never counted as Fleetgate's requests: they are `/_sim/` requests,
which the dispatcher neither logs nor counts.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fleetsim.fleet import Fleet


def console_rules() -> list[Rule]:
    """Fresh rules for each simulator's URL map (a werkzeug rule binds to one map only)."""
    return [
        Rule("/_sim/console/devices/<change>", methods=["POST"], endpoint="sim_console_devices"),
        Rule("/_sim/console/assignments", methods=["GET"], endpoint="sim_console_assignments"),
        Rule("/_sim/console/assignments", methods=["POST"], endpoint="sim_console_copy"),
        Rule("/_sim/console/assignments/<aid>", methods=["POST"], endpoint="sim_console_change"),
        Rule("/_sim/console/assignments/<aid>", methods=["DELETE"], endpoint="sim_console_delete"),
    ]


def _json(data: Any, status: int = 200) -> Response:
    import json

    return Response(json.dumps(data), status=status, mimetype="application/json")


CONSOLE_FIELDS = ("version", "intent", "group")
CONSOLE_INTENTS = ("install", "available", "uninstall")


def _console_changes(body: dict[str, Any], fields: tuple[str, ...] = CONSOLE_FIELDS) -> dict[str, Any]:
    unsupported = sorted(set(body) - set(fields) - {"copy_of"})
    if unsupported:
        raise ValueError(f"this console changes {', '.join(fields)}, not {', '.join(unsupported)}")
    changes: dict[str, Any] = {k: str(v) for k, v in body.items() if k in fields and v not in (None, "")}
    if "deadline" in body and body["deadline"] in (None, "") and "deadline" in fields:
        changes["deadline"] = None  # the admin clears the deadline (as soon as possible again)
    if changes.get("intent", "install") not in CONSOLE_INTENTS:
        raise ValueError(f"intent must be one of {', '.join(CONSOLE_INTENTS)}")
    return changes


class PlaneConsole:
    """A plane's console over the simulator's own records (used by planes that do not override `console_*`)."""

    fields: tuple[str, ...] = CONSOLE_FIELDS

    def __init__(self, sim: Any) -> None:
        self.sim = sim

    def assignments(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def change(self, aid: str, changes: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def delete(self, aid: str) -> None:
        raise NotImplementedError

    def copy(self, aid: str, changes: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


class Console:
    plane: str
    fleet: Fleet

    @property
    def plane_console(self) -> PlaneConsole:
        from fleetsim.console.planes import CONSOLES

        found = self.__dict__.get("_plane_console")
        if found is None:
            found = self.__dict__["_plane_console"] = CONSOLES.get(self.plane, PlaneConsole)(self)
        return found

    @property
    def console_fields(self) -> tuple[str, ...]:
        return self.plane_console.fields

    def console_version(self, key: Any, default: str = "") -> str:
        """The version an administrator installed by hand in place of `key`'s (planes whose package
        reads carry a version ask here)."""
        return str(self.__dict__.get("_console_versions", {}).get(key, default))

    def set_console_version(self, key: Any, version: str | None) -> None:
        versions = self.__dict__.setdefault("_console_versions", {})
        if version is None:
            versions.pop(key, None)
        else:
            versions[key] = version

    def changed(self) -> None:
        raise NotImplementedError

    # ---- the console: out-of-band changes an administrator makes by hand ----------------------
    # Never counted as Fleetgate's requests. Planes implement `console_*` over their own records.

    def console_assignments(self) -> list[dict[str, Any]]:
        """Every assignment as {"id", "name", "version", "intent", "group"}."""
        return self.plane_console.assignments()

    def console_change(self, aid: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change an assignment's `version`, `intent` (install | available | uninstall) or `group`."""
        return self.plane_console.change(aid, changes)

    def console_delete(self, aid: str) -> None:
        self.plane_console.delete(aid)

    def console_copy(self, aid: str, changes: dict[str, Any]) -> dict[str, Any]:
        """A new assignment like `aid` with `changes` (another group: extra; another version: modified)."""
        return self.plane_console.copy(aid, changes)

    def _console(self, call: Callable[[], Any], status: int = 200) -> Response:
        try:
            with getattr(self, "lock", nullcontext()):
                result = call()
        except NotImplementedError:
            return _json({"error": f"the {self.plane} simulator has no console for assignments"}, 501)
        except KeyError as exc:
            return _json({"error": f"no assignment {exc.args[0]}"}, 404)
        except ValueError as exc:
            return _json({"error": str(exc)}, 400)
        self.changed()
        return Response(status=204) if result is None else _json(result, status)

    def sim_console_devices(self, request: Request, change: str) -> Response:
        body = request.get_json(force=True, silent=True) or {}
        group = str(body.get("group", ""))
        if self.fleet.spec(group) is None:
            return _json({"error": f"no group {group!r}"}, 400)
        try:
            devices = self.fleet.tamper(
                group, change, devices=body.get("devices") or (), count=int(body.get("count", 0))
            )
        except (TypeError, ValueError) as exc:
            return _json({"error": str(exc)}, 400)
        self.changed()
        return _json({"change": change, "group": group, "devices": [d.name for d in devices]})

    def sim_console_assignments(self, request: Request) -> Response:
        return self._console(lambda: {"assignments": self.console_assignments()})

    def sim_console_change(self, request: Request, aid: str) -> Response:
        body = request.get_json(force=True, silent=True) or {}
        return self._console(lambda: self.console_change(aid, _console_changes(body, self.console_fields)))

    def sim_console_delete(self, request: Request, aid: str) -> Response:
        return self._console(lambda: self.console_delete(aid))

    def sim_console_copy(self, request: Request) -> Response:
        body = request.get_json(force=True, silent=True) or {}
        copy_of = str(body.get("copy_of", ""))
        return self._console(lambda: self.console_copy(copy_of, _console_changes(body, self.console_fields)), 201)
