"""`POST /mobileApps/{id}/assign` replaces the app's whole assignment set, so Fleetgate reads the
current set (`GET /mobileApps/{id}/assignments`) and sends every assignment back as it was —
intent, target (with its assignment filter) and settings (deadlines, notifications, restart
behaviour, delivery optimisation) — changing only its own ring group's intent. Exclusion targets
and other groups are untouched; the ring group's own settings and filter are kept too. `root` is the
Graph version path of the app: v1.0, or /beta for a macOSPkgApp (a type v1.0 does not have)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fleetgate.connectors.intune import IntuneConnector

INCLUDE = "#microsoft.graph.groupAssignmentTarget"
ASSIGNMENT = "#microsoft.graph.mobileAppAssignment"
WRITABLE = ("intent", "target", "settings")  # `id` is the service's (read-only on /assign)


def current(conn: IntuneConnector, app_id: str, root: str = "") -> list[dict[str, Any]]:
    url = f"{root or conn.v1}/deviceAppManagement/mobileApps/{app_id}/assignments"
    body = conn.json(conn.request("GET", url, safe=True))
    return list(body.get("value") or [])


def targets_group(assignment: dict[str, Any], group_id: str) -> bool:
    target = assignment.get("target") or {}
    return target.get("@odata.type") == INCLUDE and target.get("groupId") == group_id


def deadline_of(assignment: dict[str, Any]) -> str | None:
    """The install deadline an administrator set (Fleetgate assigns without one: as soon as possible)."""
    times = (assignment.get("settings") or {}).get("installTimeSettings") or {}
    return times.get("deadlineDateTime") or None


def resend(item: dict[str, Any]) -> dict[str, Any]:
    body = {"@odata.type": ASSIGNMENT, **{k: item[k] for k in WRITABLE if item.get(k) is not None}}
    return body


def merged(existing: list[dict[str, Any]], group_id: str, intent: str) -> list[dict[str, Any]]:
    out, mine = [], None
    for item in existing:
        if targets_group(item, group_id) and mine is None:
            mine = {**resend(item), "intent": intent}
            out.append(mine)
        elif not targets_group(item, group_id):
            out.append(resend(item))
    if mine is None:
        out.append(
            {"@odata.type": ASSIGNMENT, "intent": intent, "target": {"@odata.type": INCLUDE, "groupId": group_id}}
        )
    return out


def assign(conn: IntuneConnector, app_id: str, group_id: str, intent: str, root: str = "") -> None:
    existing = [] if conn.config.dry_run else current(conn, app_id, root)
    conn.request(
        "POST",
        f"{root or conn.v1}/deviceAppManagement/mobileApps/{app_id}/assign",
        json_body={"mobileAppAssignments": merged(existing, group_id, intent)},
        dry_status=204,
    )
