"""The simulators' console: out-of-band changes an administrator makes by hand, over HTTP.

- `POST /_sim/console/devices/<uninstalled|offline|restored> {"group", "count" | "devices": [...]}`:
  the app removed from devices by hand, devices that stop reporting, or undone (every plane: the
  shared `Fleet` model)
- `GET /_sim/console/assignments`: every assignment as {"id", "name", "version", "intent", "group"}
- `POST /_sim/console/assignments/<id> {"version"?, "intent"?: install|available|uninstall, "group"?}`
- `DELETE /_sim/console/assignments/<id>`
- `POST /_sim/console/assignments {"copy_of": <id>, "group"?, "version"?, "intent"?}`: a new
  assignment like another (to a group no intent targets: extra drift)
Assignments are implemented by the planes that override `console_*` (SCCM, Jamf); the others
answer 501. Console requests are never counted as Fleetgate's requests.
"""

from __future__ import annotations

from collections.abc import Callable
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


def _console_changes(body: dict[str, Any]) -> dict[str, Any]:
    changes = {k: str(v) for k, v in body.items() if k in CONSOLE_FIELDS and v not in (None, "")}
    if changes.get("intent", "install") not in CONSOLE_INTENTS:
        raise ValueError(f"intent must be one of {', '.join(CONSOLE_INTENTS)}")
    return changes


class Console:
    plane: str
    fleet: Fleet

    def changed(self) -> None:
        raise NotImplementedError

    # ---- the console: out-of-band changes an administrator makes by hand ----------------------
    # Never counted as Fleetgate's requests. Planes implement `console_*` over their own records.

    def console_assignments(self) -> list[dict[str, Any]]:
        """Every assignment as {"id", "name", "version", "intent", "group"}."""
        raise NotImplementedError

    def console_change(self, aid: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change an assignment's `version`, `intent` (install | available | uninstall) or `group`."""
        raise NotImplementedError

    def console_delete(self, aid: str) -> None:
        raise NotImplementedError

    def console_copy(self, aid: str, changes: dict[str, Any]) -> dict[str, Any]:
        """A new assignment like `aid` with `changes` (another group: extra; another version: modified)."""
        raise NotImplementedError

    def _console(self, call: Callable[[], Any], status: int = 200) -> Response:
        try:
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
        return self._console(lambda: self.console_change(aid, _console_changes(body)))

    def sim_console_delete(self, request: Request, aid: str) -> Response:
        return self._console(lambda: self.console_delete(aid))

    def sim_console_copy(self, request: Request) -> Response:
        body = request.get_json(force=True, silent=True) or {}
        return self._console(lambda: self.console_copy(str(body.get("copy_of", "")), _console_changes(body)), 201)
