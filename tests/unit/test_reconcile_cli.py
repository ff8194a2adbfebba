"""`fleetgate reconcile run` and `fleetgate drift list|show` against a recorded API (no server)."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from fleetgate.cli import reconcile as cli
from fleetgate.cli.main import app

REPORT = {
    "dry_run": True,
    "intents": 1,
    "targets": 2,
    "plane_reads": 4,
    "found": {"missing": 1},
    "opened": 0,
    "healed": 0,
    "remediated": 0,
    "escalated": 0,
    "problems": ["plane-jamf/FG-PILOT: unavailable"],
    "drift": [
        {
            "kind": "missing",
            "severity": "low",
            "intent": "vpn",
            "plane": "sccm",
            "ring": "lab",
            "group": "FG-LAB",
            "device": "WS-LAB-00001",
            "route": "auto",
            "summary": "lacks VPN 1.0",
        }
    ],
    "actions": [{"drift": "x", "action": "remediate", "detail": "re-assign the app to its group"}],
}
DRIFT = {
    "id": "d1",
    "kind": "extra",
    "severity": "high",
    "intent_name": "vpn",
    "plane": "jamf",
    "ring": "lab",
    "group": "FG-PILOT",
    "device": "",
    "route": "cab",
    "summary": "assigned where no intent targets it",
}


class FakeClient:
    calls: list[tuple[str, str, Any]] = []

    def __init__(self, server: str | None = None, token: str | None = None) -> None:
        pass

    def get(self, path: str, **params: Any) -> Any:
        FakeClient.calls.append(("GET", path, params))
        if path == "/api/v1/drift/":
            return {"results": [DRIFT] if params.get("kind") != "stale" else []}
        return DRIFT

    def post(self, path: str, json: Any = None, headers: Any = None) -> Any:
        FakeClient.calls.append(("POST", path, json))
        return REPORT if json.get("dry_run") else {"id": 7, "status": "queued"}


@pytest.fixture(autouse=True)
def fake(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeClient.calls = []
    monkeypatch.setattr(cli, "Client", FakeClient)
    monkeypatch.setattr(cli, "resolve_intent", lambda client, ref: {"id": "i-1", "name": ref})


def test_dry_run_prints_drift_and_planned_actions() -> None:
    result = CliRunner().invoke(app, ["reconcile", "run", "vpn", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "missing 1" in result.output
    assert "would remediate" in result.output
    assert "unread" in result.output
    assert FakeClient.calls == [("POST", "/api/v1/reconcile/runs/", {"dry_run": True, "intent": "i-1"})]


def test_run_queues_a_job() -> None:
    result = CliRunner().invoke(app, ["reconcile", "run"])
    assert result.exit_code == 0, result.output
    assert "pass 7 queued" in result.output


def test_drift_list_and_show() -> None:
    listed = CliRunner().invoke(app, ["drift", "list", "--kind", "extra", "--intent", "vpn"])
    assert listed.exit_code == 0, listed.output
    assert "Drift (1 shown)" in listed.output
    assert "extra" in listed.output
    assert FakeClient.calls[0] == ("GET", "/api/v1/drift/", {"kind": "extra", "intent": "i-1"})
    assert "No drift." in CliRunner().invoke(app, ["drift", "list", "--kind", "stale"]).output
    shown = CliRunner().invoke(app, ["drift", "show", "d1"])
    assert shown.exit_code == 0
    assert '"route": "cab"' in shown.output
