"""The simulators' console: out-of-band changes an administrator makes by hand, over fleetsim's
HTTP API, and what the plane then reports through its own protocol."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fleetsim.fleet import NOT_DETECTED, Deployment, Fleet, GroupSpec
from fleetsim.planes import SIMULATORS
from fleetsim.server import Running, start


def _fleet() -> Fleet:
    return Fleet(
        seed=3,
        groups=(GroupSpec("FG-LAB", 6), GroupSpec("FG-PILOT", 4)),
        success_probability=1.0,
        late_fraction=0.0,
        not_applicable_rate=0.0,
    )


def test_uninstalled_devices_fail_detection_until_reassigned() -> None:
    fleet = _fleet()
    old = Deployment("d1", "FG-LAB", "install", fleet.now())
    fleet.advance(3600)
    device = fleet.devices("FG-LAB")[0]
    assert fleet.state(old, device) == "installed"
    fleet.tamper("FG-LAB", "uninstalled", devices=[device.name])
    assert fleet.state(old, device) == "failed"
    assert fleet.error_code(old, device) == NOT_DETECTED
    assert fleet.state(old, fleet.devices("FG-LAB")[1]) == "installed"
    fleet.advance(1)
    new = Deployment("d2", "FG-LAB", "install", fleet.now())
    fleet.advance(3600)
    assert fleet.state(new, device) == "installed"  # a new assignment installs it again
    fleet.tamper("FG-LAB", "restored", devices=[device.id])
    assert fleet.state(old, device) == "installed"


def test_offline_devices_stop_reporting() -> None:
    fleet = _fleet()
    reported = Deployment("d1", "FG-LAB", "install", fleet.now())
    fleet.advance(3600)
    fleet.tamper("FG-LAB", "offline", count=2)
    later = Deployment("d2", "FG-LAB", "install", fleet.now())
    fleet.advance(3600)
    first = fleet.devices("FG-LAB")[0]
    assert fleet.state(reported, first) == "installed"  # its last report stands
    assert fleet.state(later, first) == "pending"
    assert fleet.state(later, fleet.devices("FG-LAB")[2]) == "installed"


def test_tamper_refuses_unknown_changes_and_devices() -> None:
    fleet = _fleet()
    with pytest.raises(ValueError, match="change must be"):
        fleet.tamper("FG-LAB", "melted", count=1)
    with pytest.raises(ValueError, match="unknown devices"):
        fleet.tamper("FG-LAB", "offline", devices=["nope"])


@pytest.fixture(params=["sccm", "jamf"])
def sim(request: pytest.FixtureRequest) -> Iterator[Running]:
    handle = start(SIMULATORS[request.param](seed=3, fleet=_fleet()))
    try:
        yield handle
    finally:
        handle.stop()


def _seed_assignment(sim: Running) -> str:
    """An assignment as Fleetgate would have made it (straight into the simulator's records)."""
    app: Any = sim.app
    if app.plane == "sccm":
        ci = 16777001
        app.applications[ci] = {"CI_ID": ci, "PackageID": "PS100001", "LocalizedDescription": ""}
        cid = next(c for c, n in app.collections.items() if n == "FG-LAB")
        app.assignments[16789001] = {
            "AssignmentID": 16789001,
            "AssignmentName": "Fleetgate Tool 1.0.0",
            "ApplicationName": "Tool 1.0.0",
            "AssignedCIs": [ci],
            "TargetCollectionID": cid,
            "CollectionName": "FG-LAB",
            "DesiredConfigType": 1,
            "OfferTypeID": 0,
        }
        return "16789001"
    app.packages[1] = {"fileName": "tool.pkg"}
    app.policies[2] = {
        "name": "Fleetgate Tool 1.0.0 -> FG-LAB [fg-abc]",
        "enabled": True,
        "groups": [(app.group_ids["FG-LAB"], "FG-LAB")],
        "packages": [(1, "Install")],
    }
    return "2"


def _call(sim: Running, method: str, path: str, **body: object) -> httpx.Response:
    return httpx.request(method, f"{sim.url}/_sim/console/{path}", json=body or None, timeout=10)


def test_console_changes_copies_and_deletes_assignments(sim: Running) -> None:
    aid = _seed_assignment(sim)
    listed = _call(sim, "GET", "assignments").json()["assignments"]
    assert listed == [{"id": aid, "name": "Tool", "version": "1.0.0", "intent": "install", "group": "FG-LAB"}]
    changed = _call(sim, "POST", f"assignments/{aid}", version="0.9.0", intent="available").json()
    assert (changed["version"], changed["intent"]) == ("0.9.0", "available")
    copy = _call(sim, "POST", "assignments", copy_of=aid, group="FG-PILOT")
    assert copy.status_code == 201
    assert copy.json()["group"] == "FG-PILOT"
    assert _call(sim, "POST", f"assignments/{aid}", intent="sideways").status_code == 400
    assert _call(sim, "POST", f"assignments/{aid}", group="FG-NOWHERE").status_code == 400
    assert _call(sim, "DELETE", f"assignments/{aid}").status_code == 204
    assert _call(sim, "DELETE", f"assignments/{aid}").status_code == 404
    assert [a["group"] for a in _call(sim, "GET", "assignments").json()["assignments"]] == ["FG-PILOT"]
    assert sim.app.counters.count() == 0  # console changes are never counted as Fleetgate's requests


def test_console_devices(sim: Running) -> None:
    done = _call(sim, "POST", "devices/offline", group="FG-LAB", count=2)
    assert done.status_code == 200
    assert len(done.json()["devices"]) == 2
    assert _call(sim, "POST", "devices/offline", group="FG-NONE", count=1).status_code == 400
    assert _call(sim, "POST", "devices/exploded", group="FG-LAB", count=1).status_code == 400


def test_intune_console_changes_intent_deadline_group_and_deletes() -> None:
    handle = start(SIMULATORS["intune"](seed=3, fleet=_fleet()))
    app: Any = handle.app
    try:
        app.apps["a1"] = {
            "id": "a1",
            "displayName": "Tool 1.0.0",
            # as the connector writes it (v1.0 has no version property)
            "description": "Tool 1.0.0, published by Fleetgate (version 1.0.0; sha256 00).",
        }
        lab = app.group_id("FG-LAB")
        app.assignments["a1"] = [{"id": f"{lab}_0_0", "intent": "required", "target": {"groupId": lab}}]
        app.deployments[("a1", lab)] = Deployment("a1:lab", "FG-LAB", "install", app.fleet.now())
        aid = f"a1:{lab}"
        listed = _call(handle, "GET", "assignments").json()["assignments"]
        assert listed == [
            {"id": aid, "name": "Tool", "version": "1.0.0", "intent": "install", "group": "FG-LAB", "deadline": None}
        ]
        changed = _call(handle, "POST", f"assignments/{aid}", intent="available", deadline="2026-12-24T08:00:00Z")
        assert (changed.json()["intent"], changed.json()["deadline"]) == ("available", "2026-12-24T08:00:00Z")
        assert app.assignments["a1"][0]["intent"] == "available"  # what Graph then lists
        assert ("a1", lab) in app.deployments  # devices keep what they have
        assert _call(handle, "POST", f"assignments/{aid}", version="0.9.0").status_code == 400  # another app
        moved = _call(handle, "POST", f"assignments/{aid}", group="FG-PILOT", intent="install").json()
        assert moved["group"] == "FG-PILOT"
        assert ("a1", app.group_id("FG-PILOT")) in app.deployments
        assert _call(handle, "DELETE", f"assignments/{moved['id']}").status_code == 204
        assert app.assignments["a1"] == []
        assert app.counters.count() == 0
    finally:
        handle.stop()


def test_landscape_and_awx_consoles_change_what_fleetgate_started() -> None:
    fleet = _fleet()
    landscape, awx = (
        start(SIMULATORS["landscape"](seed=3, fleet=fleet)),
        start(SIMULATORS["ansible"](seed=3, fleet=fleet)),
    )
    try:
        ls: Any = landscape.app
        ls.activities[5] = {"id": 5, "summary": "Install package tool", "query": "tag:FG-LAB", "packages": ["tool"]}
        ls.deployments[5] = Deployment("landscape-5", "FG-LAB", "install", fleet.now())
        assert _call(landscape, "POST", "assignments/5", version="0.9.0").json()["version"] == "0.9.0"
        assert ls.console_version(5) == "0.9.0"  # what GetPackages reports
        removed = _call(landscape, "POST", "assignments/5", intent="uninstall").json()
        assert removed["intent"] == "uninstall"
        assert ls.activities[5]["summary"] == "Remove package tool"
        assert _call(landscape, "POST", "assignments/5", deadline="2026-12-24T08:00:00Z").status_code == 400
        assert _call(landscape, "DELETE", "assignments/5").status_code == 204
        ax: Any = awx.app
        template = next(iter(ax.templates.values()))
        jid = ax._create_job(template, "FG-LAB", {"fleetgate_package": "tool", "fleetgate_version": "1.0.0"})
        row = _call(awx, "POST", f"assignments/{jid}", version="0.9.0", group="FG-PILOT").json()
        assert (row["version"], row["group"], ax.jobs[jid]["limit"]) == ("0.9.0", "FG-PILOT", "FG-PILOT")
        assert _call(awx, "POST", f"assignments/{jid}", intent="available").status_code == 400
        assert _call(awx, "DELETE", f"assignments/{jid}").status_code == 204
        again = _call(awx, "POST", "assignments", copy_of=str(jid))  # launched again with its prompts
        assert again.status_code == 201
        assert again.json()["group"] == "FG-PILOT"
        assert ls.counters.count() == ax.counters.count() == 0
    finally:
        landscape.stop()
        awx.stop()


def test_devices_console_on_a_plane_with_its_assignment_console_too() -> None:
    handle = start(SIMULATORS["landscape"](seed=3, fleet=_fleet()))
    try:
        assert _call(handle, "GET", "assignments").json() == {"assignments": []}
        assert _call(handle, "POST", "devices/uninstalled", group="FG-LAB", count=1).status_code == 200
        assert _call(handle, "POST", "assignments/99", intent="install").status_code == 404
    finally:
        handle.stop()
