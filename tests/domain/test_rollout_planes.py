"""Each plane alone, and a mixed Windows + macOS intent, on the simulators over real HTTP: a healthy
fleet goes ring by ring on gates; device counts come from the plane's group membership."""

from __future__ import annotations

import pytest

from fleetgate.core.roles import Role
from fleetgate.rollouts import clock as clocks
from fleetgate.rollouts import plan as planner
from fleetgate.rollouts.api import RolloutSerializer
from fleetgate.rollouts.models import GateResult, PlaneTarget, Rollout
from fleetgate.rollouts.states import RingState
from tests.domain.rollout_kit import PLATFORM_OF, Driver, approve, connect, duplicates, groups_of, plan, seal, simulator
from tests.factories import World

R = Role
PILOT = ("lab", "canary", "pilot")


pytestmark = pytest.mark.usefixtures("no_waiting")  # tests/domain/conftest.py


def shown(rollout: Rollout) -> dict:
    """What GET /api/v1/rollouts/{id}/ answers (its serializer, on the viewset's queryset)."""
    return dict(RolloutSerializer(Rollout.objects.get(pk=rollout.pk)).data)


@pytest.mark.parametrize("kind", ["intune", "jamf", "sccm", "landscape", "ansible"])
def test_a_healthy_fleet_goes_lab_to_global_on_each_plane(world: World, clock: clocks.FrozenClock, kind: str) -> None:
    rings = (*PILOT, "department", "global")
    ring_plan = plan(*rings)
    with simulator(kind, groups_of(ring_plan)) as srv:
        connect(world, srv)
        intent = approve(world, seal(world, platforms=(PLATFORM_OF[kind],), ring_plan=ring_plan))
        drive = Driver(intent, clock, srv)
        drive.start(world.publisher)
        rollout = drive.through(*rings)
        assert rollout.status == Rollout.Status.COMPLETED, rollout.status_detail
        assert [drive.ring(r).state for r in rings] == [RingState.PASSED] * 5
        assert drive.state() == "completed"
        pilot = GateResult.objects.get(ring_run=drive.ring("pilot"), gate="success_rate")
        assert (pilot.outcome, pilot.inputs["n"], pilot.inputs["failures"]) == ("pass", 300, 0)
        final = GateResult.objects.get(ring_run=drive.ring("global"), gate="success_rate")
        assert final.inputs["n"] == 1000
        assert final.inputs["lower"] >= 0.99
        observed = {t.group: t.observed_devices for t in PlaneTarget.objects.filter(ring_run__rollout=rollout)}
        assert {g: observed[g] for g in ("FG-LAB", "FG-CANARY", "FG-PILOT")} == {
            "FG-LAB": 8,
            "FG-CANARY": 40,
            "FG-PILOT": 300,
        }
        assert duplicates(srv) == []


def test_a_mixed_windows_and_macos_ring_counts_both_planes_and_shows_each(
    world: World, clock: clocks.FrozenClock
) -> None:
    ring_plan = plan("lab", "canary", sizes={"lab": 6, "canary": 20})
    with simulator("sccm", groups_of(ring_plan)) as win, simulator("jamf", groups_of(ring_plan)) as mac:
        connect(world, win)
        connect(world, mac)
        intent = approve(world, seal(world, platforms=("windows", "macos"), ring_plan=ring_plan))
        drive = Driver(intent, clock, win, mac)
        drive.start(world.publisher)
        rollout = drive.through("lab")
        assert drive.ring("lab").state == RingState.PASSED
        lab = GateResult.objects.get(ring_run=drive.ring("lab"), gate="success_rate")
        assert (lab.inputs["n"], lab.inputs["successes"]) == (12, 12)  # 6 Windows + 6 macOS devices
        drive.wait(25)
        rollout = drive.advance()
        assert rollout.status == Rollout.Status.COMPLETED  # canary: 20 + 20 = 40 ≥ min_sample 30
        body = shown(rollout)
        canary = next(r for r in body["rings"] if r["ring"] == "canary")
        planes = {(t["kind"], t["platform"]): t for t in canary["targets"]}
        assert set(planes) == {("sccm", "windows"), ("jamf", "macos")}
        for target in planes.values():
            assert target["observed_devices"] == 20
            assert target["counts"]["installed"] == 20
            assert target["count_warning"] == ""
        assert duplicates(win, mac) == []


def test_a_typed_count_off_by_more_than_ten_percent_warns_in_plan_and_api(
    world: World, clock: clocks.FrozenClock
) -> None:
    ring_plan = plan("lab", "canary", sizes={"lab": 8, "canary": 50})  # the plane's FG-CANARY has 40
    with simulator("sccm", {"FG-LAB": 8, "FG-CANARY": 40}) as srv:
        connect(world, srv)
        intent = approve(world, seal(world, ring_plan=ring_plan))
        before = planner.plan(actor=world.publisher, intent_id=intent.pk)
        assert [r["observed_devices"] for r in before["rings"]] == [{"plane-sccm": 8}, {"plane-sccm": 40}]
        assert before["warnings"] == ["canary: planned 50 devices; plane-sccm reports 40 in FG-CANARY"]
        assert srv.app.counters.entries == []  # plan reads group sizes and changes nothing on the plane
        drive = Driver(intent, clock, srv)
        drive.start(world.publisher)
        rollout = drive.through("lab")
        body = shown(rollout)
        warnings = {r["ring"]: r["targets"][0]["count_warning"] for r in body["rings"]}
        assert warnings["lab"] == ""
        assert warnings["canary"] == "planned 50 devices; plane-sccm reports 40 in FG-CANARY"
