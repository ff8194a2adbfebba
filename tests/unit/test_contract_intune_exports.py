"""Contract: a large app's install status comes from a report export job (create, poll, download
the zipped CSV) instead of the paged report, with the same counts; the job's request and every
job the simulator answers parse into msgraph-sdk's DeviceManagementExportJob with nothing left
over (Graph v1.0; Microsoft Learn "Export Intune reports using Graph APIs", checked 2026-12-02)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from fleetgate.connectors.base import RingGroup, SchemaMismatch
from fleetgate.connectors.intune import IntuneConnector
from fleetsim.fleet import GroupSpec
from tests.fixtures.connectors.support import INTENT, artifact, serving
from tests.unit.test_contract_intune import check_request, leftovers, parse, recording_connector

DAY = 86400.0
PILOT = RingGroup("FG-PILOT", ring="pilot")
EXPORTS = "/v1.0/deviceManagement/reports/exportJobs"


def _exporting(connector: IntuneConnector, above: int) -> IntuneConnector:
    settings = {**connector.config.settings, "report_export_above": above}
    return IntuneConnector(replace(connector.config, settings=settings), connector.runtime)


def test_a_large_report_is_exported_once_and_counts_as_the_pages_do(tmp_path: Path) -> None:
    from msgraph.generated.models.device_management_export_job import DeviceManagementExportJob

    with serving("intune", groups=(GroupSpec("FG-PILOT", 120),)) as srv:
        paged, transport = recording_connector(srv.app)
        app = paged.publish(artifact(tmp_path), "k")
        paged.assign(app, PILOT, INTENT, "a")
        srv.app.advance(30 * DAY)
        by_pages = paged.observe(app, PILOT)
        assert not any(r.url.path.startswith(EXPORTS) for r, _ in transport.exchanges)
        exporting = _exporting(paged, 50)  # 120 rows are above it
        start = len(transport.exchanges)
        by_export = exporting.observe(app, PILOT)
        assert (by_export.installed, by_export.failed, by_export.pending, by_export.total) == (
            by_pages.installed,
            by_pages.failed,
            by_pages.pending,
            by_pages.total,
        )
        assert [d.detail for p in by_export.detail_pages for d in p.devices] == [
            d.detail for p in by_pages.detail_pages for d in p.devices
        ]
        calls = [(r.method, r.url.path, r, resp) for r, resp in transport.exchanges[start:]]
        created = [c for c in calls if c[:2] == ("POST", EXPORTS)]
        assert len(created) == 1
        body = json.loads(created[0][2].content)
        assert body["reportName"] == "DeviceInstallStatusByApp"
        assert body["filter"] == f"(ApplicationId eq '{app.external_id}')"
        assert check_request(DeviceManagementExportJob, body) == []
        polls = [c for c in calls if c[0] == "GET" and c[1].startswith(EXPORTS + "('")]
        assert [parse(DeviceManagementExportJob, p[3].json()).status.value for p in polls] == [
            "inProgress",
            "completed",
        ]
        for _, _, _, response in [*created, *polls]:
            assert leftovers(parse(DeviceManagementExportJob, response.json())) == []
        (download,) = [c for c in calls if c[1].startswith("/_blob/exports/")]
        assert "authorization" not in download[2].headers  # a SAS URL, no bearer token
        assert download[3].headers["content-type"] == "application/zip"


def test_the_export_download_refuses_a_wrong_signature_and_unknown_reports() -> None:
    with serving("intune") as srv:
        connector, _ = recording_connector(srv.app)
        app_id = "00000000-0000-0000-0000-000000000001"
        created = connector.request(
            "POST",
            f"{EXPORTS}",
            json_body={"reportName": "DeviceInstallStatusByApp", "filter": f"(ApplicationId eq '{app_id}')"},
            safe=True,
        ).json()
        assert (created["status"], created["url"]) == ("notStarted", None)
        url = None
        while url is None:
            url = connector.request("GET", f"{EXPORTS}('{created['id']}')", safe=True).json()["url"]
        assert httpx.get(url).status_code == 200
        assert httpx.get(url.split("sig=")[0] + "sig=forged").status_code == 403
        refused = httpx.post(
            f"{srv.url}{EXPORTS}",
            json={"reportName": "NoSuchReport", "filter": f"(ApplicationId eq '{app_id}')"},
            headers=connector.authenticate(),
        )
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "BadRequest"


def test_an_export_that_is_no_zip_is_a_schema_mismatch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with serving("intune", groups=(GroupSpec("FG-PILOT", 12),)) as srv:
        connector, _ = recording_connector(srv.app)
        app = connector.publish(artifact(tmp_path), "k")
        connector.assign(app, PILOT, INTENT, "a")
        srv.app.advance(30 * DAY)
        monkeypatch.setattr(type(srv.app), "_snapshot", lambda self, *args: b"not a zip")
        with pytest.raises(SchemaMismatch, match="no zip holding a CSV"):
            _exporting(connector, 5).observe(app, PILOT)
