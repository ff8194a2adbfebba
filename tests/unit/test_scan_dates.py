"""A scan's own dates (database build, scan run) are kept, so an offline site's snapshot is dated truly."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fleetgate.evidence import scans
from fleetgate.sites.services.export import _scan_date


def _grype(descriptor: dict[str, object]) -> bytes:
    return json.dumps({"matches": [], "source": {"target": "app.msi"}, "descriptor": descriptor}).encode()


def test_grype_v5_and_v6_database_build_times_and_the_scan_time_are_kept() -> None:
    v5 = scans.parse(
        _grype({"name": "grype", "db": {"built": "2026-11-20T01:02:03Z"}, "timestamp": "2026-11-30T10:00:00Z"}),
        "g.json",
    )
    assert v5.summary["database_built"] == "2026-11-20T01:02:03+00:00"
    assert v5.summary["scanned_at"] == "2026-11-30T10:00:00+00:00"
    v6 = scans.parse(_grype({"name": "grype", "db": {"status": {"built": "2026-11-21T00:00:00Z"}}}), "g.json")
    assert v6.summary["database_built"] == "2026-11-21T00:00:00+00:00"
    assert "scanned_at" not in v6.summary


def test_a_date_that_is_not_a_time_is_left_out_never_guessed() -> None:
    parsed = scans.parse(_grype({"name": "grype", "db": {"built": "last tuesday"}, "timestamp": "soon"}), "g.json")
    assert "database_built" not in parsed.summary
    assert "scanned_at" not in parsed.summary


def test_trivy_keeps_when_the_scan_ran() -> None:
    report = {"SchemaVersion": 2, "ArtifactName": "app.msi", "CreatedAt": "2026-11-29T08:00:00Z", "Results": []}
    assert scans.parse(json.dumps(report).encode(), "t.json").summary["scanned_at"] == "2026-11-29T08:00:00+00:00"


def test_the_snapshot_date_prefers_the_database_build_then_the_scan_run_then_the_recording() -> None:
    added = "2026-12-01T00:00:00+00:00"
    built = {"added_at": added, "summary": {"database_built": "2026-11-01T00:00:00+00:00", "scanned_at": added}}
    assert _scan_date(built) == (datetime(2026, 11, 1, tzinfo=UTC), "scan-database")
    ran = {"added_at": added, "summary": {"scanned_at": "2026-11-15T00:00:00+00:00"}}
    assert _scan_date(ran) == (datetime(2026, 11, 15, tzinfo=UTC), "scan-run")
    assert _scan_date({"added_at": added, "summary": {}}) == (datetime(2026, 12, 1, tzinfo=UTC), "scan-evidence")
