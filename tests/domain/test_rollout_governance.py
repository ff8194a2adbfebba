"""What holds a rollout on the simulators: a blackout (until the window's end, as the plan shows), a
freeze (never a rollback), an expired CAB approval or exception, a CAB highest-ring condition, a
superseded evidence pack, and small rings that wait for a person's judgment."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from fleetgate.approvals import queries as approval_queries
from fleetgate.approvals import services as approvals
from fleetgate.approvals.models import CabRequest
from fleetgate.audit.models import LedgerEvent
from fleetgate.connectors import services as connectors
from fleetgate.connectors.base import Runtime
from fleetgate.core.errors import GateNotMet, SeparationOfDuties, ValidationFailed
from fleetgate.core.roles import Role
from fleetgate.evidence import services as evidence
from fleetgate.evidence.models import EvidencePack
from fleetgate.intents.models import DeploymentIntent
from fleetgate.notifications.models import Notification
from fleetgate.rollouts import clock as clocks
from fleetgate.rollouts import plan as planner
from fleetgate.rollouts import tasks as rollout_tasks
from fleetgate.rollouts.models import GateResult, Rollout
from fleetgate.rollouts.services import actions, calendars
from fleetgate.rollouts.states import RingState
from tests.domain.rollout_kit import (
    Driver,
    Sealed,
    approve,
    connect,
    duplicates,
    groups_of,
    ledger,
    plan,
    seal,
    simulator,
)
from tests.factories import World
from tests.fixtures.connectors.support import FakeClock, Sleeps
from tests.fixtures.evidence import builders as b

R = Role
S = Rollout.Status
PILOT = ("lab", "canary", "pilot")
HIGH = "CVE-2026-7777"


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connectors, "runtime_factory", lambda: Runtime(sleep=Sleeps(), clock=FakeClock()))


@pytest.fixture
def clock() -> Iterator[clocks.FrozenClock]:
    start = timezone.now().astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    frozen = clocks.FrozenClock(start)
    with clocks.using(frozen):
        yield frozen


def _gate(drive: Driver, ring: str, gate: str) -> GateResult:
    return GateResult.objects.get(ring_run=drive.ring(ring), gate=gate)


def test_a_blackout_delays_promotion_to_the_window_end_and_the_plan_shows_it(
    world: World, clock: clocks.FrozenClock
) -> None:
    ring_plan = plan("lab", "canary")
    t0 = clock.now()
    blackout_start, blackout_end = t0 + timedelta(hours=20), t0 + timedelta(hours=30)
    calendars.create_window(
        actor=world.actors[R.PLATFORM_ADMIN],
        data={
            "name": "quarter close",
            "kind": "blackout",
            "boundary": "acme",
            "timezone": "Europe/Berlin",
            "starts_local": blackout_start.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": 600,
        },
    )
    with simulator("sccm", groups_of(ring_plan)) as srv:
        connect(world, srv)
        intent = approve(world, seal(world, ring_plan=ring_plan))
        timeline = planner.plan(actor=world.publisher, intent_id=intent.pk)
        lab = timeline["rings"][0]
        assert lab["earliest_start"] == t0
        assert lab["earliest_promotion"] == blackout_end  # soak ends at t0 + 24 h, inside the blackout
        drive = Driver(intent, clock, srv)
        drive.start(world.publisher)
        drive.wait(25)
        rollout = drive.advance()
        assert (rollout.current_ring, rollout.status) == ("lab", S.BLOCKED), rollout.status_detail
        window = _gate(drive, "lab", "window_open")
        assert window.outcome == "blocked"
        assert "quarter close" in window.summary
        assert window.inputs["next_open"] == blackout_end.isoformat()
        drive.wait(5.5)  # t0 + 30.5 h: the blackout is over
        rollout = drive.advance()
        assert rollout.current_ring == "canary"
        promoted = ledger(intent, "rollout.promoted")[0]
        assert promoted.after == {"rollout": str(rollout.pk), "from": "lab", "to": "canary"}


def test_a_freeze_blocks_promotion_but_not_rollback(world: World, clock: clocks.FrozenClock) -> None:
    ring_plan = plan("lab", "canary")
    with simulator("landscape", groups_of(ring_plan)) as srv:
        connect(world, srv)
        intent = approve(world, seal(world, platforms=("linux",), ring_plan=ring_plan))
        drive = Driver(intent, clock, srv)
        drive.start(world.publisher)
        calendars.freeze_on(actor=world.actors[R.PLATFORM_ADMIN], reason="year-end audit")
        drive.wait(25)
        rollout = drive.advance()
        assert (rollout.current_ring, rollout.status) == ("lab", S.BLOCKED)
        assert "year-end audit" in _gate(drive, "lab", "window_open").summary
        assert ledger(intent, "rollout.promoted") == []
        actions.apply(actor=world.publisher, intent_id=intent.pk, action="rollback", reason="business asked")
        rollout = drive.advance()
        drive.wait(3)
        rollout = drive.advance()
        assert rollout.status == S.ROLLED_BACK, rollout.status_detail  # the freeze is still on
        assert [e.after["ring"] for e in ledger(intent, "rollout.ring_rolled_back")] == ["lab"]
        assert duplicates(srv) == []


def test_an_expired_cab_approval_blocks_promotion(world: World, clock: clocks.FrozenClock) -> None:
    ring_plan = plan(*PILOT, "department")
    with simulator("intune", groups_of(ring_plan)) as srv:
        connect(world, srv)
        sealed = seal(world, high_risk=True, ring_plan=ring_plan)
        intent = approve(world, sealed, expires_in_days=1, now=clock.now())
        drive = Driver(intent, clock, srv)
        drive.start(world.publisher)
        rollout = drive.through("lab", "canary")
        assert (rollout.current_ring, rollout.status) == ("canary", S.BLOCKED), rollout.status_detail
        cab = _gate(drive, "canary", "cab_approval_where_required")
        assert cab.outcome == "blocked"
        assert "expired" in cab.summary
        assert drive.ring("pilot").state == RingState.PENDING


def test_an_expired_exception_blocks_promotion(world: World, clock: clocks.FrozenClock) -> None:
    ring_plan = plan("lab", "canary")

    def excepted(ew: object) -> None:
        data = {
            "kind": "vulnerability",
            "artifact": ew.artifact.pk,  # type: ignore[attr-defined]
            "intent": ew.intent.pk,  # type: ignore[attr-defined]
            "subject": HIGH,
            "justification": "Not reachable in our configuration.",
            "compensating_controls": "Port blocked by host firewall policy FW-12.",
            "owner": world.users[R.PUBLISHER].username,
            "expires_in_days": 1,
        }
        row = approvals.request_exception(actor=world.actors[R.PACKAGING_ENGINEER], data=data, now=clock.now())
        approvals.approve_exception(actor=world.actors[R.SECURITY_REVIEWER], exception_id=row.pk, now=clock.now())

    with simulator("sccm", groups_of(ring_plan)) as srv:
        connect(world, srv)
        overrides = lambda ew: {"vulnerability_scan": b.trivy(ew.sha, [(HIGH, 8.1, "HIGH")])}  # noqa: E731
        sealed = seal(world, ring_plan=ring_plan, evidence_overrides=overrides, before_seal=excepted)
        intent = approve(world, sealed)
        drive = Driver(intent, clock, srv)
        drive.start(world.publisher)
        rollout = drive.through("lab")
        assert (rollout.current_ring, rollout.status) == ("lab", S.BLOCKED), rollout.status_detail
        gate = _gate(drive, "lab", "exceptions_unexpired")
        assert gate.outcome == "blocked"
        assert HIGH in gate.summary


def test_a_cab_condition_highest_ring_pilot_holds_at_pilot_and_says_why(
    world: World, clock: clocks.FrozenClock
) -> None:
    ring_plan = plan(*PILOT, "department")
    with simulator("sccm", groups_of(ring_plan)) as srv:
        connect(world, srv)
        sealed = seal(world, high_risk=True, ring_plan=ring_plan)
        intent = approve(world, sealed, kind="conditional", conditions={"max_ring": "pilot"})
        drive = Driver(intent, clock, srv)
        drive.start(world.publisher)
        rollout = drive.through(*PILOT)
        drive.wait(100)
        rollout = drive.advance()
        assert (rollout.current_ring, rollout.status) == ("pilot", S.BLOCKED), rollout.status_detail
        assert "pilot" in rollout.status_detail
        assert "department" in rollout.status_detail
        assert drive.state() == "in_progress"
        assert drive.ring("pilot").state == RingState.ASSIGNED
        assert drive.ring("department").state == RingState.PENDING
        assert _gate(drive, "pilot", "success_rate").outcome == "pass"
        assert ledger(intent, "rollout.completed") == []


def test_a_pack_sealed_after_start_blocks_promotion(world: World, clock: clocks.FrozenClock) -> None:
    ring_plan = plan("lab", "canary")
    with simulator("sccm", groups_of(ring_plan)) as srv:
        connect(world, srv)
        sealed = seal(world, ring_plan=ring_plan)
        intent = approve(world, sealed)
        drive = Driver(intent, clock, srv)
        drive.start(world.publisher)
        ew = sealed.worlds[0]
        ew.add("test_evidence", b.lab_results(succeeded=7))
        evidence.seal_pack(actor=ew.packager, intent_id=intent.pk, artifact_id=ew.artifact.pk)
        rollout = drive.through("lab")
        assert (rollout.current_ring, rollout.status) == ("lab", S.BLOCKED), rollout.status_detail
        gate = _gate(drive, "lab", "evidence_pack_valid")
        assert gate.outcome == "blocked"
        assert "v2 supersedes v1" in gate.summary


def test_small_rings_are_inconclusive_and_a_cab_approver_promotes_with_a_reason(
    world: World, clock: clocks.FrozenClock
) -> None:
    ring_plan = plan("lab", "canary", "pilot", sizes={"canary": 12})
    with simulator("jamf", groups_of(ring_plan)) as srv:
        connect(world, srv)
        intent = approve(world, seal(world, platforms=("macos",), ring_plan=ring_plan))
        drive = Driver(intent, clock, srv)
        drive.start(world.publisher)
        drive.through("lab")
        drive.wait(5)
        rollout = drive.advance()  # canary within its time to compliance: waits
        assert (rollout.current_ring, rollout.status) == ("canary", S.RUNNING), rollout.status_detail
        assert _gate(drive, "canary", "success_rate").outcome == "inconclusive"
        drive.wait(20)
        rollout = drive.advance()
        assert rollout.status == S.AWAITING_JUDGMENT, rollout.status_detail
        assert drive.ring("canary").state == RingState.AWAITING_JUDGMENT
        assert Notification.objects.filter(subject_id=str(intent.pk), event="rollout.awaiting_judgment").count() == 1
        assert drive.advance().status == S.AWAITING_JUDGMENT  # it keeps waiting for a person
        with pytest.raises(SeparationOfDuties):
            actions.apply(actor=world.publisher, intent_id=intent.pk, action="promote", reason="mine is fine")
        approver = world.actors[R.CAB_APPROVER]
        with pytest.raises(ValidationFailed):
            actions.apply(actor=approver, intent_id=intent.pk, action="promote", reason=" ")
        actions.apply(actor=approver, intent_id=intent.pk, action="promote", reason="12 of 12, no failure; accepted")
        rollout = drive.advance()
        assert rollout.current_ring == "pilot"
        judgment = drive.ring("canary").judgment
        assert judgment["reason"] == "12 of 12, no failure; accepted"
        assert judgment["judged_by"]["id"] == approver.id
        assert judgment["gates"]["success_rate"]["outcome"] == "inconclusive"
        assert drive.ring("pilot").state == RingState.ASSIGNED


def _reseal(intent: DeploymentIntent, sealed: Sealed) -> tuple[EvidencePack, EvidencePack]:
    """Seal v2 of the first artifact's pack (a new lab result) while the rollout runs on v1."""
    ew = sealed.worlds[0]
    old = EvidencePack.objects.get(intent=intent, artifact=ew.artifact, version=1)
    ew.add("test_evidence", b.lab_results(succeeded=7))
    new = evidence.seal_pack(actor=ew.packager, intent_id=intent.pk, artifact_id=ew.artifact.pk)
    return old, new


def test_a_pack_resealed_mid_rollout_asks_cab_again_and_the_rollout_goes_on_once_approved(
    world: World, clock: clocks.FrozenClock, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ring_plan = plan("lab", "canary")
    with simulator("landscape", groups_of(ring_plan)) as srv:
        connect(world, srv)
        sealed = seal(world, platforms=("linux",), ring_plan=ring_plan)
        intent = approve(world, sealed)  # low risk: no CAB request so far
        drive = Driver(intent, clock, srv)
        drive.start(world.publisher)
        old, new = _reseal(intent, sealed)
        request = CabRequest.objects.get(intent=intent, state="open")
        assert (request.evidence_pack_id, request.pack_version) == (new.pk, 2)
        opened = LedgerEvent.objects.get(action="cab_request.opened", subject_id=str(request.pk))
        assert "re-sealed" in opened.reason
        assert old.sha256 in opened.reason
        assert new.sha256 in opened.reason
        resealed = (opened.after or {})["resealed"]
        assert resealed["previous_pack"] == {"id": str(old.pk), "version": 1, "sha256": old.sha256}
        assert resealed["new_pack"] == {"id": str(new.pk), "version": 2, "sha256": new.sha256}
        approver = world.actors[R.CAB_APPROVER]
        assert [r.pk for r in approval_queries.pending_for(approver)] == [request.pk]  # in the CAB's queue
        rollout = drive.through("lab")
        assert (rollout.current_ring, rollout.status) == ("lab", S.BLOCKED), rollout.status_detail
        gate = _gate(drive, "lab", "evidence_pack_valid")
        assert gate.outcome == "blocked"
        assert gate.inputs["pending_cab_requests"] == [str(request.pk)]
        assert str(request.pk) in gate.summary
        woken: list[str] = []
        monkeypatch.setattr(rollout_tasks, "advance_rollout", woken.append)
        with django_capture_on_commit_callbacks(execute=True):
            approvals.decide(actor=approver, request_id=request.pk, kind="approve", reason="lab results hold")
        assert woken == [str(intent.pk)]  # the decision wakes the engine, which goes on
        rollout = drive.advance()
        assert rollout.current_ring == "canary", rollout.status_detail
        assert drive.state() == "in_progress"
        gate = _gate(drive, "lab", "evidence_pack_valid")
        assert (gate.outcome, gate.inputs["pack_version"]) == ("pass", 2)


def test_a_rejected_reapproval_halts_the_rollout_per_policy(world: World, clock: clocks.FrozenClock) -> None:
    ring_plan = plan("lab", "canary")
    with simulator("jamf", groups_of(ring_plan)) as srv:
        connect(world, srv)
        sealed = seal(world, platforms=("macos",), high_risk=True, ring_plan=ring_plan)
        intent = approve(world, sealed)
        first = CabRequest.objects.get(intent=intent, state="approved")
        drive = Driver(intent, clock, srv)
        drive.start(world.publisher)
        drive.wait(2)
        drive.advance()
        _old, new = _reseal(intent, sealed)
        first.refresh_from_db()
        assert first.state == "voided"
        request = CabRequest.objects.get(intent=intent, state="open")
        assert (request.evidence_pack_id, request.opened_by_id) == (new.pk, first.opened_by_id)  # still the submitter
        approvals.decide(
            actor=world.actors[R.CAB_APPROVER], request_id=request.pk, kind="reject", reason="new lab run is partial"
        )
        assert drive.state() == "in_progress"  # CAB records; the engine acts
        rollout = drive.advance()
        assert drive.state() in ("rolling_back", "rolled_back"), rollout.status_detail
        gate = _gate(drive, "lab", "evidence_pack_valid")
        assert (gate.outcome, gate.inputs["rejected_cab_requests"]) == ("fail", [str(request.pk)])
        halted = ledger(intent, "rollout.halted")
        assert len(halted) == 1
        assert "new lab run is partial" in halted[0].reason
        assert drive.ring("canary").state == RingState.PENDING


def test_a_pack_resealed_while_a_ring_awaits_judgment_holds_the_judgment_until_cab_approves(
    world: World, clock: clocks.FrozenClock
) -> None:
    ring_plan = plan("lab", "canary", sizes={"lab": 4})
    with simulator("jamf", groups_of(ring_plan)) as srv:
        connect(world, srv)
        sealed = seal(world, platforms=("macos",), ring_plan=ring_plan)
        intent = approve(world, sealed)
        drive = Driver(intent, clock, srv)
        drive.start(world.publisher)
        drive.wait(25)
        assert drive.advance().status == S.AWAITING_JUDGMENT
        _reseal(intent, sealed)
        request = CabRequest.objects.get(intent=intent, state="open")
        approver = world.actors[R.CAB_APPROVER]
        with pytest.raises(GateNotMet) as held:  # before the engine has even looked again
            actions.apply(actor=approver, intent_id=intent.pk, action="promote", reason="4 of 4; accepted")
        gates = held.value.extra["gates"]
        assert isinstance(gates, list)
        assert [g["gate"] for g in gates] == ["evidence_pack_valid"]
        assert str(request.pk) in held.value.detail
        rollout = drive.advance()
        assert rollout.status == S.BLOCKED, rollout.status_detail  # the list shows what holds the judgment
        assert str(request.pk) in rollout.status_detail
        assert _gate(drive, "lab", "evidence_pack_valid").inputs["pending_cab_requests"] == [str(request.pk)]
        approvals.decide(actor=approver, request_id=request.pk, kind="approve", reason="lab results hold")
        assert drive.advance().status == S.AWAITING_JUDGMENT
        actions.apply(actor=approver, intent_id=intent.pk, action="promote", reason="4 of 4; accepted")
        assert drive.advance().current_ring == "canary"
        assert drive.ring("lab").judgment["gates"]["evidence_pack_valid"]["inputs"]["pack_version"] == 2


def test_a_rejected_reapproval_halts_a_rollout_waiting_to_enter_its_next_ring(
    world: World, clock: clocks.FrozenClock
) -> None:
    ring_plan = plan("lab", "canary")
    ring_plan[1]["not_before"] = (clock.now() + timedelta(hours=100)).isoformat()
    with simulator("landscape", groups_of(ring_plan)) as srv:
        connect(world, srv)
        sealed = seal(world, platforms=("linux",), ring_plan=ring_plan)
        intent = approve(world, sealed)
        drive = Driver(intent, clock, srv)
        drive.start(world.publisher)
        rollout = drive.through("lab")
        assert (rollout.current_ring, rollout.status) == ("canary", S.BLOCKED), rollout.status_detail
        assert drive.ring("canary").state == RingState.PENDING  # canary waits to be entered (not before)
        _reseal(intent, sealed)
        request = CabRequest.objects.get(intent=intent, state="open")
        approvals.decide(actor=world.actors[R.CAB_APPROVER], request_id=request.pk, kind="reject", reason="partial")
        drive.advance()
        assert drive.state() in ("rolling_back", "rolled_back")
        halted = ledger(intent, "rollout.halted")
        assert len(halted) == 1
        assert str(request.pk) in halted[0].reason
        assert drive.ring("canary").state == RingState.PENDING
