"""Each plane's device groups for a picker (a read; nothing on the plane changes), bounded.

What a ring step stores for a group is what its connector resolves (`PlaneGroup.value`): a Jamf
computer group's name, an SCCM collection's Name, a Landscape tag, an AWX inventory group's name (the
job's `limit`). Microsoft Intune's Entra groups are in `intune/groups.py`.

- **Jamf Pro**, Classic API `GET /JSSResource/computergroups` (XML `computer_groups/computer_group`
  with `id`, `name`, `is_smart`; no search parameter and no sizes, so the name is matched here). The
  connector already reads groups through the Classic API (`computergroups/name/{name}`).
  Reference: Jamf Pro "Classic API" reference, developer.jamf.com, "computergroups: Finds all
  computer groups" (Jamf Pro 11).
- **Configuration Manager**, AdminService `GET /AdminService/wmi/SMS_Collection` with
  `$filter=CollectionType eq 2 and contains(Name,'…')` (device collections) and `$select`; each
  row's `MemberCount` is its size. Reference: Microsoft Learn, "SMS_Collection server WMI class"
  (CollectionID, Name, CollectionType 2 = device, MemberCount) and "How to use the administration
  service" (OData `$filter`, `$select`).
- **Landscape**, legacy API `GetComputers` (the API has no tag listing): the tags of the computers,
  each counted, over at most `LANDSCAPE_SCAN` computers (beyond that the counts are left out, as
  partial). Reference: Landscape legacy API, computers.md ("GetComputers": `query`, `limit`,
  `offset`; each computer's `tags`).
- **AWX / automation controller**, `GET /api/v2/inventories/{id}/groups/` with `name__icontains`,
  `order_by=name`, `page_size`; a name with host-pattern syntax cannot be a `limit` and is left
  out. Reference: Automation Controller API Guide, "Filtering" and "Pagination"; AWX
  `awx/api/filters.py`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import TYPE_CHECKING

from fleetgate.connectors.base import PlaneGroup, SchemaMismatch

if TYPE_CHECKING:
    from fleetgate.connectors.ansible import AnsibleConnector
    from fleetgate.connectors.jamf import JamfConnector
    from fleetgate.connectors.landscape import LandscapeConnector
    from fleetgate.connectors.sccm import SccmConnector

LANDSCAPE_SCAN = 5000  # computers read for their tags at most
PATTERN = set(",:!&*~[]") | {" "}  # Ansible host-pattern syntax


def bounded(groups: Iterable[PlaneGroup], search: str, limit: int) -> list[PlaneGroup]:
    """The groups whose name contains `search` (any case), by name, at most `limit`."""
    needle = search.strip().lower()
    found = [g for g in groups if needle in g.name.lower()]
    return sorted(found, key=lambda g: g.name.lower())[: max(0, limit)]


def jamf(conn: JamfConnector, search: str, limit: int) -> list[PlaneGroup]:
    text = conn.request("GET", "/JSSResource/computergroups", headers={"Accept": "application/xml"}, safe=True).text
    try:
        root = ET.fromstring(text)  # noqa: S314 (the plane's own response; ElementTree expands no entities)
    except ET.ParseError as exc:
        raise SchemaMismatch(f"jamf: expected XML from computergroups, got {text[:120]!r}") from exc
    groups = [
        PlaneGroup(id=row.findtext("id") or "", name=name, value=name)
        for row in root.findall("computer_group")
        if (name := row.findtext("name") or "")
    ]
    return bounded(groups, search, limit)


def sccm(conn: SccmConnector, search: str, limit: int) -> list[PlaneGroup]:
    clauses = ["CollectionType eq 2"]
    if search.strip():
        clauses.append(f"contains(Name,'{search.strip().replace(chr(39), chr(39) * 2)}')")
    groups: list[PlaneGroup] = []
    url: str | None = "/AdminService/wmi/SMS_Collection"
    params: dict[str, str] | None = {"$filter": " and ".join(clauses), "$select": "CollectionID,Name,MemberCount"}
    while url and len(groups) < limit:
        body = conn.json(conn.request("GET", url, params=params, safe=True))
        for row in conn.field(body, "value"):
            count = row.get("MemberCount")
            name = str(conn.field(row, "Name"))
            groups.append(
                PlaneGroup(str(conn.field(row, "CollectionID")), name, name, count if isinstance(count, int) else None)
            )
        url, params = body.get("@odata.nextLink"), None
    return bounded(groups, search, limit)


def landscape(conn: LandscapeConnector, search: str, limit: int) -> list[PlaneGroup]:
    counts: dict[str, int] = {}
    seen = 0
    while seen < LANDSCAPE_SCAN:
        page = max(1, min(conn.config.page_size, LANDSCAPE_SCAN - seen))
        rows = conn.call("GetComputers", {"limit": str(page), "offset": str(seen)}, safe=True)
        if not isinstance(rows, list):
            raise SchemaMismatch("landscape: GetComputers answered no list")
        for computer in rows:
            for tag in computer.get("tags") or []:
                counts[str(tag)] = counts.get(str(tag), 0) + 1
        seen += len(rows)
        if len(rows) < page:
            break
    else:
        counts = dict.fromkeys(counts, -1)  # more computers than scanned: the counts would mislead
    groups = (PlaneGroup(tag, tag, tag, n if n >= 0 else None) for tag, n in counts.items())
    return bounded(groups, search, limit)


def ansible(conn: AnsibleConnector, search: str, limit: int) -> list[PlaneGroup]:
    inventory = conn.config.settings.get("inventory_id", 1)
    params = {"order_by": "name", "page_size": str(min(200, max(1, limit)))}
    if search.strip():
        params["name__icontains"] = search.strip()
    body = conn.json(conn.request("GET", f"/api/v2/inventories/{inventory}/groups/", params=params, safe=True))
    groups = [
        PlaneGroup(str(conn.field(row, "id")), name, name)
        for row in conn.field(body, "results")
        if (name := str(row.get("name") or "")) and not PATTERN & set(name)
    ]
    return bounded(groups, search, limit)
