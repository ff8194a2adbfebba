"""Entra ID groups for a picker: `GET /v1.0/groups` (a read), bounded and ordered by name.

`$filter=startswith(displayName,'…')` (supported on groups by default), `$select=id,displayName`,
`$top`; ordering a filtered list (`$orderby=displayName`) is an advanced query, so the request
carries `ConsistencyLevel: eventual` and `$count=true`, as Graph requires for it. Graph gives no
member count in the list (each is a further `$count` request), so none is shown. A ring step
stores the group's display name: the connector resolves it (`displayName eq`) when it assigns.

Reference (Microsoft Learn, Graph REST API v1.0, checked 2026-12-02): "List groups" (permission
Group.Read.All or GroupMember.Read.All), "Use the $filter query parameter" (startswith on
displayName), "Advanced query capabilities on Microsoft Entra ID objects" ($orderby with $filter
needs ConsistencyLevel eventual and $count=true).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleetgate.connectors.base import PlaneGroup

if TYPE_CHECKING:
    from fleetgate.connectors.intune import IntuneConnector


def listing(conn: IntuneConnector, search: str, limit: int) -> list[PlaneGroup]:
    params = {"$select": "id,displayName", "$top": str(max(1, min(999, limit))), "$orderby": "displayName"}
    params["$count"] = "true"
    if search.strip():
        params["$filter"] = f"startswith(displayName,'{search.strip().replace(chr(39), chr(39) * 2)}')"
    body = conn.json(
        conn.request("GET", f"{conn.v1}/groups", params=params, headers={"ConsistencyLevel": "eventual"}, safe=True)
    )
    groups = [
        PlaneGroup(str(conn.field(row, "id")), name, name)
        for row in conn.field(body, "value")
        if (name := str(row.get("displayName") or ""))
    ]
    return groups[:limit]
