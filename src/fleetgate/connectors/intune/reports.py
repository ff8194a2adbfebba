"""Per-device install status of one app, from the Intune reports API (Graph v1.0).

`POST /deviceManagement/reports/retrieveDeviceAppInstallationStatusReport` with
{filter: "(ApplicationId eq '<app id>')", select, top, skip} answers a report table
{"TotalRowCount", "Schema": [{"Column", "PropertyType"}], "Values": [[...]], "SessionId"}; pages
are asked for with `skip`/`top` until TotalRowCount rows are read. Its `DeviceId` is the Intune
managed-device id. Group members (Entra `device` objects) carry the Entra `deviceId`, which is
`managedDevice.azureADDeviceId`; the join reads `GET /deviceManagement/managedDevices`
($select=id,azureADDeviceId, paged by @odata.nextLink) once per observation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fleetgate.connectors.base import SchemaMismatch, Tally

if TYPE_CHECKING:
    from fleetgate.connectors.intune import IntuneConnector

REPORT = "/deviceManagement/reports/retrieveDeviceAppInstallationStatusReport"
COLUMNS = ("DeviceId", "DeviceName", "AppInstallState", "ErrorCode", "HexErrorCode", "LastModifiedDateTime")
PAGE = 1000  # the reports API's largest page ("top" above it is cut to it)


def rows(conn: IntuneConnector, app_id: str, tally: Tally) -> Iterator[dict[str, Any]]:
    """Each report row as {column: value}."""
    skip = 0
    while True:
        body = conn.json(
            conn.request(
                "POST",
                f"{conn.v1}{REPORT}",
                json_body={
                    "filter": f"(ApplicationId eq '{app_id}')",
                    "select": list(COLUMNS),
                    "orderBy": ["DeviceName"],
                    "skip": skip,
                    "top": PAGE,
                },
                safe=True,
            )
        )
        tally.pages_read += 1
        try:
            columns = [str(c["Column"]) for c in body["Schema"]]
            values = list(body["Values"])
            total = int(body["TotalRowCount"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SchemaMismatch(f"intune: the install status report lacks {exc} (the API version may differ)") from exc
        for value in values:
            yield dict(zip(columns, value, strict=False))
        skip += len(values)
        if not values or skip >= total:
            return


def entra_ids(conn: IntuneConnector, tally: Tally) -> dict[str, str]:
    """Intune managed-device id -> Entra device id (managedDevice.azureADDeviceId)."""
    found: dict[str, str] = {}
    for device in conn.paged(
        f"{conn.v1}/deviceManagement/managedDevices", {"$select": "id,azureADDeviceId", "$top": 999}, tally
    ):
        found[str(device.get("id"))] = str(device.get("azureADDeviceId") or "")
    return found
