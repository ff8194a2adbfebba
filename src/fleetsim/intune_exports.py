"""Intune's report export jobs, simulated (a mixin of `IntuneSim`).

`POST /{version}/deviceManagement/reports/exportJobs` with {reportName, filter, select, format,
localizationType} creates a `deviceManagementExportJob` (201; `id` "<reportName>_<guid>",
`status` notStarted, `url` null); `GET .../exportJobs('{id}')` reports its progress (notStarted,
then inProgress, then completed: one step a poll) and, once completed, a time-limited download
`url` (a SAS URL, no bearer token) of a zip holding one `<id>.csv` (or `.json`) snapshot of the
report taken when the job completed. Reference (checked 2026-12-02): Microsoft Learn, "Export
Intune reports using Graph APIs" (request, response, polling, the zip download) and "Intune
reports and properties available using Graph API" (`DeviceInstallStatusByApp`: Apps > All apps >
an app > Device install status; filter `(ApplicationId eq '<id>')`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fleetsim.fleet import _guid
from fleetsim.intune_reports import COLUMNS
from fleetsim.intune_schema import graph_error
from fleetsim.server import json_response

EXPORTABLE = ("DeviceInstallStatusByApp",)
EXPORT_BODY = {"reportName", "filter", "select", "format", "localizationType", "snapshotId", "search"}
LOCALIZATION = ("localizedValuesAsAdditionalColumn", "replaceLocalizableValues")
STEPS = ("notStarted", "inProgress", "completed")


class IntuneExports:
    """Mixed into IntuneSim, which provides _auth, _rows, base_url, seed and next_id."""

    def export_rules(self) -> list[Rule]:
        return [
            Rule("/<version>/deviceManagement/reports/exportJobs", methods=["POST"], endpoint="create_export"),
            Rule("/<version>/deviceManagement/reports/exportJobs('<job_id>')", methods=["GET"], endpoint="get_export"),
            Rule("/_blob/exports/<name>", methods=["GET"], endpoint="download_export"),
        ]

    @property
    def export_jobs(self) -> dict[str, dict[str, Any]]:
        return self.__dict__.setdefault("_export_jobs", {})

    def create_export(self, request: Request, version: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return graph_error(400, "BadRequest", "Empty or malformed payload.")
        unknown = sorted(set(body) - EXPORT_BODY)
        if unknown:
            return graph_error(400, "BadRequest", f"The parameter '{unknown[0]}' is not in scope.")
        if body.get("reportName") not in EXPORTABLE:
            return graph_error(400, "BadRequest", f"Report name {body.get('reportName')!r} is not supported.")
        match = re.fullmatch(r"\(ApplicationId eq '([0-9a-f-]+)'\)", str(body.get("filter") or ""))
        if match is None:
            return graph_error(400, "BadRequest", "DeviceInstallStatusByApp needs (ApplicationId eq '<app id>').")
        select = body.get("select") or list(COLUMNS)
        if not isinstance(select, list) or any(c not in COLUMNS for c in select):
            return graph_error(400, "BadRequest", f"Invalid select columns: {select!r}.")
        fmt = body.get("format", "csv")
        if fmt not in ("csv", "json"):
            return graph_error(400, "BadRequest", f"Invalid format {fmt!r}: csv or json.")
        localization = str(body.get("localizationType", "localizedValuesAsAdditionalColumn"))
        if localization.lower() not in {v.lower() for v in LOCALIZATION}:
            return graph_error(400, "BadRequest", f"Invalid localizationType {localization!r}.")
        job_id = f"{body['reportName']}_{_guid(self.seed, 'export', str(self.next_id()))}"
        job = {
            "id": job_id,
            "reportName": body["reportName"],
            "filter": body["filter"],
            "select": select,
            "format": fmt,
            "snapshotId": None,
            "localizationType": localization,
            "status": "notStarted",
            "url": None,
            "requestDateTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "expirationDateTime": None,
        }
        self.export_jobs[job_id] = {"job": job, "app": match.group(1), "polls": 0}
        return json_response(self._job(version, job), 201)

    def _job(self, version: str, job: dict[str, Any]) -> dict[str, Any]:
        context = f"{self.base_url}/{version}/$metadata#deviceManagement/reports/exportJobs/$entity"
        return {"@odata.context": context, **job}

    def get_export(self, request: Request, version: str, job_id: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        held = self.export_jobs.get(job_id)
        if held is None:
            return graph_error(404, "ResourceNotFound", f"No export job {job_id!r}.")
        job = held["job"]
        if job["status"] != "completed":
            held["polls"] += 1
            job["status"] = STEPS[min(held["polls"], len(STEPS) - 1)]
            if job["status"] == "completed":
                held["zip"] = self._snapshot(job_id, held["app"], job["select"], job["format"])
                held["sig"] = secrets.token_urlsafe(16)
                job["url"] = f"{self.base_url}/_blob/exports/{job_id}.zip?sv=2026-02-06&sr=b&sp=r&sig={held['sig']}"
                job["expirationDateTime"] = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return json_response(self._job(version, job))

    def _snapshot(self, job_id: str, app_id: str, select: list[str], fmt: str) -> bytes:
        rows = [{c: r[c] for c in select} for r in self._rows(app_id)]
        if fmt == "json":
            text = json.dumps({"values": rows})
        else:
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=select, lineterminator="\r\n")
            writer.writeheader()
            writer.writerows(rows)
            text = out.getvalue()
        raw = io.BytesIO()
        with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{job_id}.{fmt}", text)
        return raw.getvalue()

    def download_export(self, request: Request, name: str) -> Response:
        held = self.export_jobs.get(name.removesuffix(".zip"))
        if held is None or "zip" not in held:
            return Response("<Error><Code>BlobNotFound</Code></Error>", status=404, mimetype="application/xml")
        if request.headers.get("Authorization"):  # a SAS URL takes no bearer token
            return Response("<Error><Code>InvalidAuthenticationInfo</Code></Error>", 400, mimetype="application/xml")
        if request.args.get("sig") != held["sig"]:
            return Response("<Error><Code>AuthenticationFailed</Code></Error>", 403, mimetype="application/xml")
        return Response(held["zip"], mimetype="application/zip")
