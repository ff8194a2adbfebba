"""The rollout engine end to end on a real simulator over HTTP: start, ring by ring on gates,
halt and roll back, judgment, incidents, freeze — with an injected clock (no real waiting)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fleetgate.approvals import services as approvals
from fleetgate.connectors import services as connectors
from fleetgate.core.errors import Forbidden, GateNotMet, InvalidTransition, NoRoute, SeparationOfDuties
from fleetgate.core.roles import Role
from fleetgate.intents.states import State
from fleetgate.rollouts import clock as clocks
from fleetgate.rollouts.models import GateResult, RingRun, Rollout
from fleetgate.rollouts.services import actions, calendars, engine, incidents
from fleetgate.rollouts.states import RingState
from fleetsim.fleet import Fleet, GroupSpec
from fleetsim.planes import SIMULATORS, connection
from fleetsim.server import Running, start
from tests.factories import World, events_of, sealed_intent

R = Role
PLAN = [
    {"ring": "lab", "target_group": "FG-LAB", "device_count": 8},
    {"ring": "canary", "target_group": "FG-CANARY", "device_count": 40},
]


pytestmark = pytest.mark.usefixtures("no_waiting")  # tests/domain/conftest.py


@pytest.fixture
def plane() -> Iterator[Running]:
    groups = (GroupSpec("FG-LAB", 8), GroupSpec("FG-CANARY", 40))
    handle = start(
        SIMULATORS["sccm"](seed=5, fleet=Fleet(seed=5, groups=groups, success_probability=1.0, late_fraction=0.0))
    )
    try:
        yield handle
    finally:
        handle.stop()


def _connect(world: World, srv: Running) -> Any:
    return connectors.create(actor=world.actors[R.PLATFORM_ADMIN], data={**connection(srv.app), "name": "plane-sccm"})


def _approved(world: World, **intent: Any) -> Any:
    sealed = sealed_intent(
        world, ring_plan=intent.pop("ring_plan", PLAN), rollback_plan={"strategy": "uninstall"}, **intent
    )
    submitted = approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
    assert submitted.state == State.APPROVED
    return submitted


def _wait(srv: Running, clock: clocks.FrozenClock, hours: float) -> None:
    clock.advance(hours=hours)
    srv.app.advance(hours * 3600)


def _advance(intent: Any) -> Rollout:
    rollout = engine.advance(intent_id=intent.pk)
    assert rollout is not None
    return rollout


def _ring(rollout: Rollout, ring: str) -> RingRun:
    return RingRun.objects.get(rollout=rollout, ring=ring)


def test_healthy_fleet_goes_ring_by_ring_on_gates(world: World, plane: Running, clock: clocks.FrozenClock) -> None:
    _connect(world, plane)
    intent = _approved(world)
    engine.start(actor=world.publisher, intent_id=intent.pk)
    rollout = _advance(intent)
    assert _ring(rollout, "lab").state == RingState.ASSIGNED
    assert rollout.current_ring == "lab"
    _wait(plane, clock, 5)
    rollout = _advance(intent)
    gate = GateResult.objects.get(ring_run=_ring(rollout, "lab"), gate="min_soak")
    assert gate.outcome == "waiting"
    assert rollout.current_ring == "lab"
    _wait(plane, clock, 20)
    rollout = _advance(intent)
    assert _ring(rollout, "lab").state == RingState.PASSED
    assert rollout.current_ring == "canary"
    _wait(plane, clock, 25)
    rollout = _advance(intent)
    rollout.intent.refresh_from_db()
    assert rollout.status == Rollout.Status.COMPLETED
    assert rollout.intent.state == State.COMPLETED
    actions_seen = events_of(intent.pk)
    for expected in (
        "intent.started",
        "rollout.ring_assigned",
        "gate.evaluated",
        "rollout.promoted",
        "rollout.completed",
    ):
        assert expected in actions_seen
    counts = plane.app.counters.duplicates()
    assert counts == []


def test_advance_is_idempotent_and_busy_lease_is_respected(
    world: World, plane: Running, clock: clocks.FrozenClock
) -> None:
    _connect(world, plane)
    intent = _approved(world)
    engine.start(actor=world.publisher, intent_id=intent.pk)
    for _ in range(3):
        _advance(intent)
    before = len(events_of(intent.pk))
    _wait(plane, clock, 30)
    Rollout.objects.filter(intent=intent).update(lease_owner="other", lease_expires_at=clock.now() + engine.LEASE)
    assert _advance(intent).current_ring == "lab"  # someone else holds the lease: nothing happens
    assert len(events_of(intent.pk)) == before
    clock.advance(minutes=6)  # the other worker died; its lease expires
    assert _advance(intent).current_ring == "canary"
    assert plane.app.counters.duplicates() == []


def test_failing_ring_halts_and_rolls_back(world: World, plane: Running, clock: clocks.FrozenClock) -> None:
    plane.app.fleet.success_probability = 0.5
    _connect(world, plane)
    intent = _approved(world)
    engine.start(actor=world.publisher, intent_id=intent.pk)
    _advance(intent)
    _wait(plane, clock, 5)
    rollout = _advance(intent)
    assert _ring(rollout, "lab").state in (RingState.FAILED, RingState.ROLLING_BACK)
    rollout.intent.refresh_from_db()
    assert rollout.intent.state == State.ROLLING_BACK
    _wait(plane, clock, 5)
    rollout = _advance(intent)
    rollout.intent.refresh_from_db()
    assert rollout.intent.state in (State.ROLLED_BACK, State.FAILED)
    seen = events_of(intent.pk)
    assert "rollout.halted" in seen
    assert "rollout.rollback_started" in seen


def test_p2_incident_pauses_and_p1_rolls_back(world: World, plane: Running, clock: clocks.FrozenClock) -> None:
    _connect(world, plane)
    intent = _approved(world)
    engine.start(actor=world.publisher, intent_id=intent.pk)
    _advance(intent)
    ops = world.actors[R.ENDPOINT_OPS]
    incidents.create(actor=ops, data={"intent": str(intent.pk), "priority": "P2", "title": "helpdesk spike"})
    rollout = _advance(intent)
    assert rollout.status == Rollout.Status.PAUSED
    incidents.create(actor=ops, data={"intent": str(intent.pk), "priority": "P1", "title": "data loss"})
    rollout = _advance(intent)
    rollout.intent.refresh_from_db()
    assert rollout.intent.state == State.ROLLING_BACK


def test_freeze_blocks_promotion_not_rollback(world: World, plane: Running, clock: clocks.FrozenClock) -> None:
    _connect(world, plane)
    intent = _approved(world)
    engine.start(actor=world.publisher, intent_id=intent.pk)
    _advance(intent)
    calendars.freeze_on(actor=world.actors[R.PLATFORM_ADMIN], reason="year-end audit")
    _wait(plane, clock, 30)
    rollout = _advance(intent)
    assert rollout.current_ring == "lab"
    assert rollout.status == Rollout.Status.BLOCKED
    assert "freeze" in rollout.status_detail
    actions.apply(actor=world.publisher, intent_id=intent.pk, action="rollback", reason="business asked")
    rollout = _advance(intent)
    assert rollout.status in (Rollout.Status.ROLLING_BACK, Rollout.Status.ROLLED_BACK)
    with pytest.raises(Forbidden):
        calendars.freeze_off(actor=world.publisher, reason="mine")


def test_start_needs_a_route_and_an_approved_intent(world: World, clock: clocks.FrozenClock) -> None:
    intent = _approved(world)
    with pytest.raises(NoRoute):
        engine.start(actor=world.publisher, intent_id=intent.pk)
    with pytest.raises(Forbidden):
        engine.start(actor=world.actors[R.CAB_APPROVER], intent_id=intent.pk)


def test_promote_is_only_for_judgment_and_not_by_the_publisher(
    world: World, plane: Running, clock: clocks.FrozenClock
) -> None:
    _connect(world, plane)
    intent = _approved(world, ring_plan=[PLAN[0], {"ring": "canary", "target_group": "FG-LAB", "device_count": 8}])
    engine.start(actor=world.publisher, intent_id=intent.pk)
    _advance(intent)
    with pytest.raises(GateNotMet):
        actions.apply(actor=world.publisher, intent_id=intent.pk, action="promote", reason="looks fine")
    _wait(plane, clock, 25)
    _advance(intent)  # lab passes
    _wait(plane, clock, 25)
    rollout = _advance(intent)  # canary on 8 devices: n < 30, inconclusive past ttc
    assert rollout.status == Rollout.Status.AWAITING_JUDGMENT
    with pytest.raises(SeparationOfDuties):
        actions.apply(actor=world.publisher, intent_id=intent.pk, action="promote", reason="my change is fine")
    other = world.actors[R.CAB_APPROVER]
    actions.apply(actor=other, intent_id=intent.pk, action="promote", reason="8 of 8 with no failure; accepted")
    rollout = Rollout.objects.get(pk=rollout.pk)
    assert rollout.status == Rollout.Status.COMPLETED
    assert _ring(rollout, "canary").judgment["reason"].startswith("8 of 8")
    with pytest.raises(InvalidTransition):
        actions.apply(actor=world.publisher, intent_id=intent.pk, action="pause")
