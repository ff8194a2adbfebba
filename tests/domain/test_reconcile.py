"""Reconciliation end to end on real simulators over HTTP: a completed rollout, then out-of-band
changes made through each simulator's console API, then passes on the injected clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from fleetgate.approvals import services as approvals
from fleetgate.audit.models import LedgerEvent
from fleetgate.catalog.models import Application
from fleetgate.connectors import services as connectors
from fleetgate.core.errors import Forbidden, ValidationFailed
from fleetgate.core.roles import Role
from fleetgate.intents.states import State
from fleetgate.reconcile.models import Drift
from fleetgate.reconcile.services import decisions, passes
from fleetgate.rollouts import clock as clocks
from fleetgate.rollouts.models import Rollout
from fleetgate.rollouts.services import calendars, engine
from fleetsim.fleet import Fleet, GroupSpec
from fleetsim.planes import SIMULATORS, connection
from fleetsim.server import Running, start
from tests.factories import World, sealed_intent
from tests.fixtures.connectors.support import deb_payload

R = Role
PLAN = [
    {"ring": "lab", "target_group": "FG-LAB", "device_count": 8},
    {"ring": "canary", "target_group": "FG-CANARY", "device_count": 40},
]
GROUPS = (GroupSpec("FG-LAB", 8), GroupSpec("FG-CANARY", 40), GroupSpec("FG-PILOT", 20))


pytestmark = pytest.mark.usefixtures("no_waiting")  # tests/domain/conftest.py


def _plane(kind: str) -> Running:
    fleet = Fleet(seed=5, groups=GROUPS, success_probability=1.0, late_fraction=0.0, not_applicable_rate=0.0)
    return start(SIMULATORS[kind](seed=5, fleet=fleet))


@pytest.fixture(params=["sccm", "jamf"])
def plane(request: pytest.FixtureRequest) -> Iterator[Running]:
    handle = _plane(request.param)
    try:
        yield handle
    finally:
        handle.stop()


class Setup:
    def __init__(self, world: World, srv: Running, clock: clocks.FrozenClock) -> None:
        self.world, self.srv, self.clock = world, srv, clock
        data = {**connection(srv.app), "name": f"plane-{srv.app.plane}", "platforms": ["windows"]}
        self.connector = connectors.create(actor=world.actors[R.PLATFORM_ADMIN], data=data)
        content = {"content": deb_payload()} if srv.app.plane == "landscape" else {}  # Landscape takes .debs
        sealed = sealed_intent(world, ring_plan=PLAN, rollback_plan={"strategy": "uninstall"}, **content)
        self.intent = approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
        assert self.intent.state == State.APPROVED
        engine.start(actor=world.publisher, intent_id=self.intent.pk)
        for _ in range(3):
            engine.advance(intent_id=self.intent.pk)
            self.wait(26)
        rollout = engine.advance(intent_id=self.intent.pk)
        assert rollout is not None
        assert rollout.status == Rollout.Status.COMPLETED, rollout.status_detail

    def wait(self, hours: float) -> None:
        self.clock.advance(hours=hours)
        self.srv.app.advance(hours * 3600)

    def console(self, method: str, path: str, **body: Any) -> Any:
        response = httpx.request(method, f"{self.srv.url}/_sim/console/{path}", json=body or None, timeout=10)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def assignment(self, group: str) -> dict[str, Any]:
        rows = [a for a in self.console("GET", "assignments")["assignments"] if a["group"] == group]
        return rows[-1]

    def assigns(self) -> int:
        return self.srv.app.counters.count("assign")

    def reconcile(self, **kwargs: Any) -> passes.Report:
        return passes.run(actor=self.world.actors[R.ENDPOINT_OPS], intent_id=self.intent.pk, **kwargs)


def _live(kind: str | None = None) -> list[Drift]:
    rows = Drift.objects.exclude(status="resolved")
    return list(rows.filter(kind=kind) if kind else rows)


def test_a_converged_rollout_has_no_drift(world: World, plane: Running, clock: clocks.FrozenClock) -> None:
    setup = Setup(world, plane, clock)
    report = setup.reconcile()
    assert report.found == {}
    assert report.problems == []
    assert report.intents == 1
    assert report.targets == 2
    assert Drift.objects.count() == 0


@pytest.mark.parametrize("kind", ["sccm", "jamf", "landscape"])
def test_uninstalled_devices_are_missing_fixed_in_lab_and_heal(
    world: World, clock: clocks.FrozenClock, kind: str
) -> None:
    srv = _plane(kind)
    try:
        setup = Setup(world, srv, clock)
        setup.console("POST", "devices/uninstalled", group="FG-LAB", count=2)
        before = setup.assigns()
        report = setup.reconcile()
        assert report.found == {"missing": 2}, report.drift
        missing = _live("missing")
        assert {d.ring for d in missing} == {"lab"}
        assert all(d.device for d in missing)
        assert {d.route for d in missing} == {"auto"}
        assert {d.status for d in missing} == {"remediating"}
        assert missing[0].expected == {"version": "1.0.0", "state": "installed"}
        assert missing[0].observed["state"] == "failed"
        assert setup.assigns() == before + 1  # one re-assignment for the ring's two devices
        assert report.remediated == 2
        setup.wait(5)
        healed = setup.reconcile()
        assert healed.healed == 2
        assert healed.found == {}
        assert set(Drift.objects.values_list("status", flat=True)) == {"resolved"}
        actions = list(LedgerEvent.objects.filter(subject_type="drift").values_list("action", flat=True))
        assert actions.count("drift.detected") == 2
        assert actions.count("drift.healed") == 2
        assert actions.count("drift.remediation_attempted") == 2
    finally:
        srv.stop()


def test_modified_assignment_is_found_and_fixed(world: World, plane: Running, clock: clocks.FrozenClock) -> None:
    setup = Setup(world, plane, clock)
    row = setup.assignment("FG-CANARY")
    changed = setup.console("POST", f"assignments/{row['id']}", version="0.9.0")
    assert changed["version"] == "0.9.0"
    report = setup.reconcile()
    modified = _live("modified")
    assert len(modified) == 1, report.drift
    drift = modified[0]
    assert (drift.ring, drift.group, drift.device, drift.plane) == ("canary", "FG-CANARY", "", plane.app.plane)
    assert drift.expected["version"] == "1.0.0"
    assert [a["version"] for a in drift.observed["assignments"]] == ["0.9.0"]
    assert drift.route == "auto"
    assert drift.attempts == 1
    setup.wait(1)
    assert setup.reconcile().healed >= 1
    assert not _live("modified")


def test_available_instead_of_required_is_modified_on_sccm(world: World, clock: clocks.FrozenClock) -> None:
    srv = _plane("sccm")
    try:
        setup = Setup(world, srv, clock)
        setup.console("POST", f"assignments/{setup.assignment('FG-LAB')['id']}", intent="available")
        setup.reconcile()
        drift = _live("modified")[0]
        assert drift.observed["assignments"][0]["intent"] == "available"
    finally:
        srv.stop()


def test_deleted_assignment_is_missing_and_reassigned(world: World, plane: Running, clock: clocks.FrozenClock) -> None:
    setup = Setup(world, plane, clock)
    setup.console("DELETE", f"assignments/{setup.assignment('FG-LAB')['id']}")
    before = setup.assigns()
    setup.reconcile()
    drift = _live("missing")[0]
    assert drift.device == ""
    assert drift.observed == {"assignments": []}
    assert setup.assigns() == before + 1
    setup.wait(5)
    setup.reconcile()
    assert not _live()


def test_extra_assignment_goes_to_cab_never_fixed_automatically(
    world: World, plane: Running, clock: clocks.FrozenClock
) -> None:
    setup = Setup(world, plane, clock)
    setup.console("POST", "assignments", copy_of=setup.assignment("FG-LAB")["id"], group="FG-PILOT")
    before = setup.assigns()
    setup.reconcile()
    extra = _live("extra")
    assert len(extra) == 1
    drift = extra[0]
    assert (drift.group, drift.route, drift.severity, drift.status) == ("FG-PILOT", "cab", "high", "open")
    assert setup.assigns() == before
    assert LedgerEvent.objects.filter(subject_id=str(drift.pk), action="drift.cab_review").exists()
    week = clock.now() + timedelta(days=7)
    with pytest.raises(Forbidden):
        decisions.accept(actor=world.actors[R.ENDPOINT_OPS], drift_id=drift.pk, reason="ok", expires_at=week)
    accepted = decisions.accept(
        actor=world.actors[R.CAB_APPROVER], drift_id=drift.pk, reason="pilot users asked for it early", expires_at=week
    )
    assert accepted.status == "accepted"
    setup.reconcile()
    assert Drift.objects.get(pk=drift.pk).status == "accepted"  # still seen, still accepted
    setup.wait(24 * 8)
    setup.reconcile()
    assert Drift.objects.get(pk=drift.pk).status == "open"  # acceptance expired: open again


def test_backoff_then_escalation_on_the_injected_clock(world: World, plane: Running, clock: clocks.FrozenClock) -> None:
    setup = Setup(world, plane, clock)
    plane.app.fleet.configure_group("FG-LAB", success_rate=0.0)  # every install fails, remediation or not
    start_count = setup.assigns()
    setup.reconcile()
    assert setup.assigns() == start_count + 1
    setup.reconcile()
    assert setup.assigns() == start_count + 1  # not due yet
    for wait, expected in ((1, 2), (2, 3)):
        setup.wait(wait - 0.01)
        setup.reconcile()
        assert setup.assigns() == start_count + expected - 1
        setup.wait(0.02)
        setup.reconcile()
        assert setup.assigns() == start_count + expected
    setup.wait(4.1)
    report = setup.reconcile()
    assert setup.assigns() == start_count + 3
    assert report.escalated == 8
    lab = Drift.objects.filter(ring="lab")
    assert set(lab.values_list("status", "route", "attempts")) == {("escalated", "endpoint_ops", 3)}


def test_no_remediation_in_a_freeze(world: World, plane: Running, clock: clocks.FrozenClock) -> None:
    setup = Setup(world, plane, clock)
    calendars.freeze_on(actor=world.actors[R.PLATFORM_ADMIN], reason="year-end audit")
    setup.console("POST", "devices/uninstalled", group="FG-CANARY", count=1)
    before = setup.assigns()
    setup.reconcile()
    drift = _live("missing")[0]
    assert drift.status == "open"
    assert drift.attempts == 0
    assert "freeze" in drift.hold_reason
    assert setup.assigns() == before
    calendars.freeze_off(actor=world.actors[R.PLATFORM_ADMIN], reason="audit done")
    setup.reconcile()
    assert setup.assigns() == before + 1


def test_privileged_application_is_never_fixed_automatically(
    world: World, plane: Running, clock: clocks.FrozenClock
) -> None:
    setup = Setup(world, plane, clock)
    Application.objects.filter(pk=setup.intent.application_id).update(privileged_tooling=True)
    setup.console("POST", "devices/uninstalled", group="FG-LAB", count=1)
    before = setup.assigns()
    setup.reconcile()
    drift = _live("missing")[0]
    assert (drift.route, drift.status, drift.attempts) == ("endpoint_ops", "open", 0)
    assert setup.assigns() == before
    acknowledged = decisions.acknowledge(actor=world.actors[R.ENDPOINT_OPS], drift_id=drift.pk)
    assert acknowledged.acknowledged_at is not None
    resolved = decisions.resolve(actor=world.actors[R.ENDPOINT_OPS], drift_id=drift.pk, reason="reinstalled by hand")
    assert resolved.status == "resolved"
    event = LedgerEvent.objects.filter(subject_id=str(drift.pk)).order_by("-sequence").first()
    assert event is not None
    assert (event.action, event.actor_id) == (
        "drift.resolved",
        str(world.users[R.ENDPOINT_OPS].pk),
    )


def test_stale_device_after_reassignment(world: World, plane: Running, clock: clocks.FrozenClock) -> None:
    setup = Setup(world, plane, clock)
    setup.console("POST", "devices/offline", group="FG-CANARY", count=1)
    setup.console("DELETE", f"assignments/{setup.assignment('FG-CANARY')['id']}")
    setup.reconcile()  # missing assignment: re-assigned; the offline device never reports
    setup.wait(25)
    setup.reconcile()
    stale = _live("stale")
    assert len(stale) == 1
    assert stale[0].route == "endpoint_ops"
    assert stale[0].device
    assert stale[0].observed["state"] == "pending"


def test_dry_run_changes_nothing(world: World, plane: Running, clock: clocks.FrozenClock) -> None:
    setup = Setup(world, plane, clock)
    setup.console("POST", "devices/uninstalled", group="FG-LAB", count=1)
    setup.console("POST", "assignments", copy_of=setup.assignment("FG-LAB")["id"], group="FG-PILOT")
    events, assigns = LedgerEvent.objects.count(), setup.assigns()
    report = setup.reconcile(dry_run=True)
    assert report.dry_run
    assert report.found == {"missing": 1, "extra": 1}
    assert sorted(a["action"] for a in report.actions) == ["remediate", "route"]
    assert (Drift.objects.count(), LedgerEvent.objects.count(), setup.assigns()) == (0, events, assigns)


def test_accept_needs_a_reason_and_an_expiry_within_90_days(
    world: World, plane: Running, clock: clocks.FrozenClock
) -> None:
    setup = Setup(world, plane, clock)
    Application.objects.filter(pk=setup.intent.application_id).update(privileged_tooling=True)
    setup.console("POST", "devices/uninstalled", group="FG-LAB", count=1)
    setup.reconcile()
    drift = _live()[0]
    ops = world.actors[R.ENDPOINT_OPS]
    with pytest.raises(ValidationFailed) as caught:
        decisions.accept(actor=ops, drift_id=drift.pk, reason="", expires_at=clock.now() + timedelta(days=91))
    fields = {(e.field, e.rule) for e in caught.value.errors}
    assert fields == {("reason", "required"), ("expires_at", "max_90_days")}
    with pytest.raises(Forbidden):
        decisions.resolve(actor=world.publisher, drift_id=drift.pk, reason="x")


def test_people_without_the_right_cannot_run_a_pass(world: World, clock: clocks.FrozenClock) -> None:
    with pytest.raises(Forbidden):
        passes.run(actor=world.publisher)


def test_a_silent_rollout_is_stuck_and_notified(world: World, clock: clocks.FrozenClock) -> None:
    from fleetgate.notifications.models import Notification

    srv = _plane("sccm")
    try:
        data = {**connection(srv.app), "name": "plane-sccm", "platforms": ["windows"]}
        connectors.create(actor=world.actors[R.PLATFORM_ADMIN], data=data)
        sealed = sealed_intent(world, ring_plan=PLAN, rollback_plan={"strategy": "uninstall"})
        intent = approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
        engine.start(actor=world.publisher, intent_id=intent.pk)
        engine.advance(intent_id=intent.pk)  # lab assigned and observed once
        ops = world.actors[R.ENDPOINT_OPS]
        assert passes.run(actor=ops, intent_id=intent.pk).found == {}
        clock.advance(hours=25)  # nobody observed it since
        passes.run(actor=ops, intent_id=intent.pk)
        stuck = _live("stuck")
        assert len(stuck) == 1
        assert (stuck[0].ring, stuck[0].route) == ("lab", "endpoint_ops")
        assert "no observation for 25 h" in stuck[0].observed["reason"]
        assert Notification.objects.filter(event="drift.stuck", subject_id=str(stuck[0].pk)).exists()
        srv.app.advance(25 * 3600)  # the devices reported meanwhile
        engine.advance(intent_id=intent.pk)  # observed again: lab passes, canary starts
        passes.run(actor=ops, intent_id=intent.pk)
        assert not _live("stuck")
        assert Drift.objects.get(pk=stuck[0].pk).status == "resolved"
    finally:
        srv.stop()


def test_the_pass_is_a_job_and_the_schedule_queues_it(world: World, clock: clocks.FrozenClock) -> None:
    from fleetgate.reconcile.models import Schedule
    from fleetgate.reconcile.services import jobs, schedule

    srv = _plane("sccm")
    try:
        setup = Setup(world, srv, clock)
        Schedule.objects.all().delete()  # as if the rollout ran before reconciliation was installed
        assert schedule.tick() == {"scheduled": 1, "queued": 0}  # first seen: due within its jitter
        row = Schedule.objects.get(intent=setup.intent)
        assert clock.now() <= row.next_run_at < clock.now() + timedelta(minutes=6)  # 10 % of 60 min at most
        clock.advance(minutes=7)
        assert schedule.tick() == {"scheduled": 0, "queued": 1}
        assert schedule.tick() == {"scheduled": 0, "queued": 0}  # next one in about an hour
        schedule.hurry(intent_id=setup.intent.pk)  # an event speeds it up
        assert schedule.tick()["queued"] == 1
        setup.console("POST", "devices/uninstalled", group="FG-LAB", count=1)
        job = jobs.enqueue_recorded(actor=world.actors[R.ENDPOINT_OPS], intent_id=setup.intent.pk)
        done = jobs.run(job.pk)
        assert done.status == "succeeded"
        assert done.action == "reconcile"
        assert "missing 1" in done.log[-1]["message"]
        assert done.params["report"]["remediated"] == 1
        assert LedgerEvent.objects.filter(action="reconcile.requested", subject_id=str(job.pk)).exists()
    finally:
        srv.stop()


def test_rollout_steps_make_the_intent_due_at_once(world: World, clock: clocks.FrozenClock) -> None:
    """Events speed the loop up: each rollout step (start, assign, promote, complete, halt) hurries
    the intent's next pass to the next tick, whatever its interval."""
    from fleetgate.reconcile.models import Schedule
    from fleetgate.reconcile.services import schedule
    from fleetgate.rollouts.services import actions

    srv = _plane("sccm")
    try:
        data = {**connection(srv.app), "name": "plane-sccm", "platforms": ["windows"]}
        connectors.create(actor=world.actors[R.PLATFORM_ADMIN], data=data)
        sealed = sealed_intent(world, ring_plan=PLAN, rollback_plan={"strategy": "uninstall"})
        intent = approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
        engine.start(actor=world.publisher, intent_id=intent.pk)
        row = Schedule.objects.get(intent=intent)  # scheduled by the step itself, due now
        assert (row.hurried, row.next_run_at <= clock.now()) == (True, True)
        engine.advance(intent_id=intent.pk)  # lab published and assigned
        assert schedule.tick() == {"scheduled": 0, "queued": 1}
        assert schedule.tick()["queued"] == 0  # the next one in about an hour
        clock.advance(hours=26)
        srv.app.advance(26 * 3600)
        engine.advance(intent_id=intent.pk)  # lab passed, promoted, canary assigned
        assert Schedule.objects.get(intent=intent).hurried
        assert schedule.tick()["queued"] == 1
        actions.apply(actor=world.publisher, intent_id=intent.pk, action="halt", reason="a user reported a crash")
        assert Schedule.objects.get(intent=intent).hurried
        assert schedule.tick()["queued"] == 1
    finally:
        srv.stop()
