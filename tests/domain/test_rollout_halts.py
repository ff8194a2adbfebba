"""Halting and rollback on the simulators: a failing Pilot, a P1 incident, a rollback that fails;
the notifications each fires; and the automatic start at not_before."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fleetgate.core.roles import Role
from fleetgate.notifications.models import Notification
from fleetgate.risk import queries as risk
from fleetgate.rollouts import clock as clocks
from fleetgate.rollouts.models import PlaneTarget, Rollout
from fleetgate.rollouts.services import actions, engine, incidents
from fleetgate.rollouts.states import RingState
from tests.domain.rollout_kit import Driver, approve, connect, duplicates, groups_of, ledger, plan, seal, simulator
from tests.factories import World

R = Role
PILOT = ("lab", "canary", "pilot")


pytestmark = pytest.mark.usefixtures("no_waiting")  # tests/domain/conftest.py


def _roll_back(drive: Driver, steps: int = 6) -> Rollout:
    """Let the rollback run: each reached ring's uninstall reports within a few hours."""
    rollout = drive.advance()
    for _ in range(steps):
        if rollout.status in (Rollout.Status.ROLLED_BACK, Rollout.Status.FAILED):
            break
        drive.wait(3)
        rollout = drive.advance()
    return rollout


def _notified(intent: object) -> list[str]:
    rows = Notification.objects.filter(subject_id=str(intent.pk)).order_by("created_at", "id")  # type: ignore[attr-defined]
    return list(rows.values_list("event", flat=True))


def test_a_fleet_failing_5_percent_in_pilot_halts_there_and_rolls_back_every_ring_in_reverse(
    world: World, clock: clocks.FrozenClock
) -> None:
    ring_plan = plan(*PILOT, sizes={"pilot": 1000})
    with simulator("sccm", groups_of(ring_plan)) as srv:
        srv.app.fleet.configure_group("FG-PILOT", success_rate=0.95, error_codes={"1603": 0.6, "0x87D1041C": 0.4})
        connect(world, srv)
        intent = approve(world, seal(world, ring_plan=ring_plan))
        drive = Driver(intent, clock, srv)
        drive.start(world.publisher)
        rollout = drive.through(*PILOT)
        assert drive.state() == "rolling_back", rollout.status_detail
        assert drive.ring("pilot").state in (RingState.FAILED, RingState.ROLLING_BACK, RingState.ROLLED_BACK)
        halted = ledger(intent, "rollout.halted")
        assert len(halted) == 1
        assert halted[0].after["ring"] == "pilot"
        assert "success_rate" in halted[0].reason
        gates = [e.after for e in ledger(intent, "gate.evaluated")]
        pilot_rate = [g for g in gates if g["ring"] == "pilot" and g["gate"] == "success_rate"][-1]
        assert pilot_rate["outcome"] == "fail"
        assert pilot_rate["inputs"]["upper"] < 0.97
        rollout = _roll_back(drive)
        assert rollout.status == Rollout.Status.ROLLED_BACK, rollout.status_detail
        assert drive.state() == "rolled_back"
        assert [e.after["ring"] for e in ledger(intent, "rollout.ring_rolled_back")] == ["pilot", "canary", "lab"]
        assert ledger(intent, "rollout.rolled_back")[0].after["rings"] == ["lab", "canary", "pilot"]
        assert [drive.ring(r).state for r in PILOT] == [RingState.ROLLED_BACK] * 3
        assert _notified(intent) == ["rollout.halted", "rollout.rollback_started", "rollout.rolled_back"]
        assert duplicates(srv) == []


def test_a_p1_incident_mid_rollout_rolls_back_every_ring_reached_in_reverse(
    world: World, clock: clocks.FrozenClock
) -> None:
    ring_plan = plan(*PILOT)
    with simulator("intune", groups_of(ring_plan)) as srv:
        connect(world, srv)
        intent = approve(world, seal(world, ring_plan=ring_plan))
        drive = Driver(intent, clock, srv)
        drive.start(world.publisher)
        drive.through("lab")
        drive.wait(5)
        assert drive.advance().current_ring == "canary"
        incidents.create(
            actor=world.actors[R.ENDPOINT_OPS], data={"intent": str(intent.pk), "priority": "P1", "title": "data loss"}
        )
        rollout = _roll_back(drive)
        assert rollout.status == Rollout.Status.ROLLED_BACK, rollout.status_detail
        assert [e.after["ring"] for e in ledger(intent, "rollout.ring_rolled_back")] == ["canary", "lab"]
        assert drive.ring("pilot").state == RingState.PENDING  # never reached, never touched
        started = ledger(intent, "rollout.rollback_started")[0]
        assert started.after["rings"] == ["canary", "lab"]
        assert "P1" in started.reason
        assert "rollout.rollback_started" in _notified(intent)
        later = seal(world, ring_plan=ring_plan)  # the application's next change carries this history
        factor = risk.latest(later.intent.pk).factors["history"]  # type: ignore[union-attr]
        assert factor["option"] == "major_over_10_percent_failure_hard_rollback"
        assert factor["rationale"] == "1 of 1 past rollout(s) failed, were rolled back or halted; 1 past incident(s)"


def test_a_failed_rollback_ends_failed_with_a_critical_event_and_a_notification(
    world: World, clock: clocks.FrozenClock
) -> None:
    ring_plan = plan("lab", "canary")
    with simulator("jamf", groups_of(ring_plan), uninstall_success_rate=0.0) as srv:
        connect(world, srv)
        intent = approve(world, seal(world, platforms=("macos",), ring_plan=ring_plan))
        drive = Driver(intent, clock, srv)
        drive.start(world.publisher)
        drive.wait(5)
        drive.advance()
        actions.apply(actor=world.publisher, intent_id=intent.pk, action="rollback", reason="vendor recalled 1.0.0")
        rollout = _roll_back(drive)
        assert rollout.status == Rollout.Status.FAILED, rollout.status_detail
        assert drive.state() == "failed"
        assert drive.ring("lab").state == RingState.ROLLBACK_FAILED
        failed = ledger(intent, "rollout.failed")
        assert len(failed) == 1
        assert failed[0].severity == "critical"
        assert "rollback of lab failed" in failed[0].reason
        assert _notified(intent)[-1] == "rollout.failed"
        note = Notification.objects.get(subject_id=str(intent.pk), event="rollout.failed")
        assert note.recipients == [world.users[R.PUBLISHER].username]


def test_an_approved_intent_starts_by_itself_at_not_before(world: World, clock: clocks.FrozenClock) -> None:
    ring_plan = plan("lab", "canary")
    ring_plan[0]["not_before"] = (clock.now() + timedelta(hours=2)).isoformat()
    with simulator("sccm", groups_of(ring_plan)) as srv:
        connect(world, srv)
        intent = approve(world, seal(world, ring_plan=ring_plan))
        assert engine.tick(clock=clock) == {"started": 0, "advanced": 0}
        assert not Rollout.objects.filter(intent=intent).exists()
        clock.advance(hours=2)
        assert engine.tick(clock=clock) == {"started": 1, "advanced": 1}
        rollout = Rollout.objects.get(intent=intent)
        assert rollout.started_by["kind"] == "service"
        assert rollout.rings.get(ring="lab").state == RingState.ASSIGNED
        assert engine.tick(clock=clock) == {"started": 0, "advanced": 1}  # never starts twice
        assert duplicates(srv) == []


def test_a_tick_skips_an_intent_another_caller_started_since_it_listed_it(
    world: World, clock: clocks.FrozenClock
) -> None:
    """Two ticks (two workers, or the demo ticker and the scheduler) list the same approved intent; the
    second must skip it, not fail with an invalid transition and leave every other rollout unadvanced."""
    ring_plan = plan("lab", "canary")
    ring_plan[0]["not_before"] = clock.now().isoformat()
    with simulator("sccm", groups_of(ring_plan)) as srv:
        connect(world, srv)
        intent = approve(world, seal(world, ring_plan=ring_plan))
        assert engine.start_due(actor=engine.ENGINE, intent_id=intent.pk) is True
        assert engine.start_due(actor=engine.ENGINE, intent_id=intent.pk) is False  # raised InvalidTransition
        assert Rollout.objects.filter(intent=intent).count() == 1
        assert duplicates(srv) == []


def test_a_ring_entered_on_one_plane_only_is_rolled_back_there(world: World, clock: clocks.FrozenClock) -> None:
    """Lab reached Windows devices while the macOS plane was down; a P1 must still undo Windows."""
    ring_plan = plan("lab", "canary")
    with simulator("sccm", groups_of(ring_plan)) as win, simulator("jamf", groups_of(ring_plan)) as mac:
        connect(world, win, name="a-sccm")
        connect(world, mac, name="b-jamf")
        intent = approve(world, seal(world, platforms=("windows", "macos"), ring_plan=ring_plan))
        mac.app.faults.add("unavailable", times=1000)
        drive = Driver(intent, clock, win, mac)
        rollout = drive.start(world.publisher)
        assert "retrying" in rollout.status_detail
        assert drive.ring("lab").state == RingState.PENDING
        assert win.app.counters.count(operation="assign") == 1
        incidents.create(
            actor=world.actors[R.ENDPOINT_OPS], data={"intent": str(intent.pk), "priority": "P1", "title": "crashes"}
        )
        rollout = _roll_back(drive)
        assert rollout.status == Rollout.Status.ROLLED_BACK, rollout.status_detail
        assert [e.after["ring"] for e in ledger(intent, "rollout.ring_rolled_back")] == ["lab"]
        targets = {t.connector.name: t for t in PlaneTarget.objects.filter(ring_run=drive.ring("lab"))}
        assert targets["a-sccm"].rollback_app_ref["action"] == "uninstall"
        assert targets["a-sccm"].rollback_counts["not_installed"] == 8
        assert targets["b-jamf"].rollback_app_ref == {}  # nothing ever reached macOS devices
        assert drive.ring("canary").state == RingState.PENDING
