"""Per-device install status of one app, from the Intune reports API (Graph v1.0).

`POST /deviceManagement/reports/retrieveDeviceAppInstallationStatusReport` with
{filter: "(ApplicationId eq '<app id>')", select, top, skip} answers a report table
{"TotalRowCount", "Schema": [{"Column", "PropertyType"}], "Values": [[...]], "SessionId"}; pages
are asked for with `skip`/`top` until TotalRowCount rows are read. Its `DeviceId` is the Intune
managed-device id. Group members (Entra `device` objects) carry the Entra `deviceId`, which is
`managedDevice.azureADDeviceId`; the join reads `GET /deviceManagement/managedDevices`
($select=id,azureADDeviceId, paged by @odata.nextLink) once per observation.

A large app's report is exported instead of paged: when the first page's TotalRowCount is above
`settings.report_export_above` (default 10,000 rows: more than ten pages), one export job of the
same report replaces the pages (Microsoft Learn, "Export Intune reports using Graph APIs" and
"Intune reports and properties available using Graph API", checked 2026-12-02):
`POST /deviceManagement/reports/exportJobs` {reportName `DeviceInstallStatusByApp`, the same
filter and select, format csv, localizationType replaceLocalizableValues} creates a job; `GET
.../exportJobs('{id}')` is polled (backing off, up to EXPORT_POLLS reads) until its `status` is
completed (failed: Permanent; still running: Transient, so the observation is retried later); its
`url` is a time-limited SAS download (no bearer token) of a zip holding one CSV of the report.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fleetgate.connectors.base import Permanent, SchemaMismatch, Tally, Transient

if TYPE_CHECKING:
    from fleetgate.connectors.intune import IntuneConnector

REPORT = "/deviceManagement/reports/retrieveDeviceAppInstallationStatusReport"
COLUMNS = ("DeviceId", "DeviceName", "AppInstallState", "ErrorCode", "HexErrorCode", "LastModifiedDateTime")
PAGE = 1000  # the reports API's largest page ("top" above it is cut to it)


EXPORTS = "/deviceManagement/reports/exportJobs"
EXPORT_ABOVE = 10_000  # rows; above this one export job replaces the pages
EXPORT_POLLS = 10


def _page(conn: IntuneConnector, app_id: str, skip: int, tally: Tally) -> tuple[list[str], list[Any], int]:
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
        return [str(c["Column"]) for c in body["Schema"]], list(body["Values"]), int(body["TotalRowCount"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SchemaMismatch(f"intune: the install status report lacks {exc} (the API version may differ)") from exc


def rows(conn: IntuneConnector, app_id: str, tally: Tally) -> Iterator[dict[str, Any]]:
    """Each report row as {column: value}: paged, or exported when the app's report is large."""
    columns, values, total = _page(conn, app_id, 0, tally)
    if total > int(conn.config.settings.get("report_export_above", EXPORT_ABOVE)):
        yield from exported(conn, app_id, tally)
        return
    skip = 0
    while True:
        for value in values:
            yield dict(zip(columns, value, strict=False))
        skip += len(values)
        if not values or skip >= total:
            return
        columns, values, total = _page(conn, app_id, skip, tally)


def exported(conn: IntuneConnector, app_id: str, tally: Tally) -> Iterator[dict[str, Any]]:
    """The whole report through one export job: create it, poll it, download its zipped CSV."""
    job = conn.json(
        conn.request(
            "POST",
            f"{conn.v1}{EXPORTS}",
            json_body={
                "reportName": "DeviceInstallStatusByApp",
                "filter": f"(ApplicationId eq '{app_id}')",
                "select": list(COLUMNS),
                "format": "csv",
                "localizationType": "replaceLocalizableValues",
            },
            safe=True,
        )
    )
    job_id = str(conn.field(job, "id"))
    for attempt in range(EXPORT_POLLS):
        job = conn.json(conn.request("GET", f"{conn.v1}{EXPORTS}('{job_id}')", safe=True))
        tally.pages_read += 1
        status = str(conn.field(job, "status"))
        if status == "completed":
            break
        if status == "failed":
            raise Permanent(f"intune: the report export job {job_id} failed")
        conn._sleep(min(30.0, 2.0 * 2**attempt))
    else:
        raise Transient(f"intune: the report export job {job_id} is still {status}; observe again later")
    download = conn.request("GET", str(conn.field(job, "url")), auth=False, safe=True)  # a SAS URL
    tally.pages_read += 1
    try:
        with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
            name = next(n for n in archive.namelist() if n.lower().endswith(".csv"))
            text = archive.read(name).decode("utf-8-sig")
    except (zipfile.BadZipFile, StopIteration, UnicodeDecodeError) as exc:
        raise SchemaMismatch(f"intune: the export of job {job_id} is no zip holding a CSV") from exc
    yield from csv.DictReader(io.StringIO(text))


def entra_ids(conn: IntuneConnector, tally: Tally) -> dict[str, str]:
    """Intune managed-device id -> Entra device id (managedDevice.azureADDeviceId)."""
    found: dict[str, str] = {}
    for device in conn.paged(
        f"{conn.v1}/deviceManagement/managedDevices", {"$select": "id,azureADDeviceId", "$top": 999}, tally
    ):
        found[str(device.get("id"))] = str(device.get("azureADDeviceId") or "")
    return found
