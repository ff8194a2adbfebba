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


def test_planes_without_an_assignment_console_say_so() -> None:
    handle = start(SIMULATORS["landscape"](seed=3, fleet=_fleet()))
    try:
        assert _call(handle, "GET", "assignments").status_code == 501
        assert _call(handle, "POST", "devices/uninstalled", group="FG-LAB", count=1).status_code == 200
    finally:
        handle.stop()
