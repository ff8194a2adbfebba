"""Each drift kind on each of the five planes, over real HTTP to the simulators: an administrator's
change at the plane's console is found by a pass, and heals by itself once the console undoes it.

The application is privileged tooling, so nothing is remediated automatically: every heal is the
console's undo, never Fleetgate acting on the plane (its assign count stays as the rollout left it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from fleetgate.approvals import services as approvals
from fleetgate.catalog.models import Application
from fleetgate.connectors import services as connectors
from fleetgate.core.roles import Role
from fleetgate.intents.states import State
from fleetgate.reconcile.models import Drift
from fleetgate.reconcile.services import passes
from fleetgate.rollouts import clock as clocks
from fleetgate.rollouts.models import Rollout
from fleetgate.rollouts.services import engine
from fleetsim.fleet import Fleet, GroupSpec
from fleetsim.planes import SIMULATORS, connection
from fleetsim.server import Running, start
from tests.factories import World, sealed_intent
from tests.fixtures.connectors.support import deb_payload

R = Role
PLANES = ("intune", "sccm", "jamf", "landscape", "ansible")
PLAN = [{"ring": "lab", "target_group": "FG-LAB", "device_count": 5}]
GROUPS = (GroupSpec("FG-LAB", 5), GroupSpec("FG-PILOT", 3))
SETTLE_H = 48  # every online device has reported long before


pytestmark = pytest.mark.usefixtures("no_waiting")  # tests/domain/conftest.py


class Plane:
    """One plane's simulator with a completed lab rollout of a privileged app on FG-LAB."""

    def __init__(self, world: World, srv: Running, clock: clocks.FrozenClock) -> None:
        self.world, self.srv, self.clock = world, srv, clock
        data = {**connection(srv.app), "name": f"plane-{srv.app.plane}", "platforms": ["windows"]}
        connectors.create(actor=world.actors[R.PLATFORM_ADMIN], data=data)
        content = {"content": deb_payload()} if srv.app.plane == "landscape" else {}  # Landscape takes .debs
        sealed = sealed_intent(world, ring_plan=PLAN, rollback_plan={"strategy": "uninstall"}, **content)
        self.intent = approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
        assert self.intent.state == State.APPROVED
        engine.start(actor=world.publisher, intent_id=self.intent.pk)
        engine.advance(intent_id=self.intent.pk)
        self.wait(26)
        rollout = engine.advance(intent_id=self.intent.pk)
        assert rollout is not None
        assert rollout.status == Rollout.Status.COMPLETED, rollout.status_detail
        Application.objects.filter(pk=self.intent.application_id).update(privileged_tooling=True)
        self.assigns = srv.app.counters.count("assign")

    def wait(self, hours: float) -> None:
        self.clock.advance(hours=hours)
        self.srv.app.advance(hours * 3600)

    def console(self, method: str, path: str, **body: Any) -> Any:
        response = httpx.request(method, f"{self.srv.url}/_sim/console/{path}", json=body or None, timeout=10)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def assignment(self, group: str = "FG-LAB") -> dict[str, Any]:
        return [a for a in self.console("GET", "assignments")["assignments"] if a["group"] == group][-1]

    def reconcile(self) -> passes.Report:
        self.wait(SETTLE_H)
        return passes.run(actor=self.world.actors[R.ENDPOINT_OPS], intent_id=self.intent.pk)


Change = Callable[[Plane], Callable[[], None]]  # makes the change, returns its undo


def _missing(p: Plane) -> Callable[[], None]:
    if p.srv.app.plane == "ansible":  # AWX knows a device only from its last job run: the job is gone
        row = p.assignment()
        p.console("DELETE", f"assignments/{row['id']}")
        return lambda: p.console("POST", "assignments", copy_of=row["id"])
    device = p.console("POST", "devices/uninstalled", group="FG-LAB", count=1)["devices"][0]
    return lambda: p.console("POST", "devices/restored", group="FG-LAB", devices=[device])


def _extra(p: Plane) -> Callable[[], None]:
    copy = p.console("POST", "assignments", copy_of=p.assignment()["id"], group="FG-PILOT")
    return lambda: p.console("DELETE", f"assignments/{copy['id']}")


def _modified(p: Plane) -> Callable[[], None]:
    row = p.assignment()
    if p.srv.app.plane == "intune":  # Intune versions are separate apps: the admin changes the intent
        p.console("POST", f"assignments/{row['id']}", intent="available")
        return lambda: p.console("POST", f"assignments/{row['id']}", intent="install")
    p.console("POST", f"assignments/{row['id']}", version="0.9.0")
    return lambda: p.console("POST", f"assignments/{row['id']}", version=row["version"] or "1.0.0")


def _stale(p: Plane) -> Callable[[], None]:
    """A device goes offline, then the admin pushes the app again (uninstall, then install): the
    offline device never reports on the new deployment."""
    device = p.console("POST", "devices/offline", group="FG-LAB", count=1)["devices"][0]
    row = p.assignment()
    p.console("POST", f"assignments/{row['id']}", intent="uninstall")
    p.console("POST", f"assignments/{row['id']}", intent="install")
    return lambda: p.console("POST", "devices/restored", group="FG-LAB", devices=[device])


def _deadline(p: Plane) -> Callable[[], None]:
    """Intune only (the one plane with install deadlines): the admin sets one on Fleetgate's assignment."""
    row = p.assignment()
    p.console("POST", f"assignments/{row['id']}", deadline="2026-12-24T08:00:00Z")
    return lambda: p.console("POST", f"assignments/{row['id']}", deadline=None)


CHANGES: dict[str, Change] = {"missing": _missing, "extra": _extra, "modified": _modified, "stale": _stale}
ROUTES = {"missing": "endpoint_ops", "extra": "cab", "modified": "endpoint_ops", "stale": "endpoint_ops"}


@pytest.fixture(params=PLANES)
def srv(request: pytest.FixtureRequest) -> Iterator[Running]:
    fleet = Fleet(seed=9, groups=GROUPS, success_probability=1.0, late_fraction=0.0, not_applicable_rate=0.0)
    handle = start(SIMULATORS[request.param](seed=9, fleet=fleet))
    try:
        yield handle
    finally:
        handle.stop()


def test_each_console_change_is_found_and_heals_when_undone(
    world: World, srv: Running, clock: clocks.FrozenClock
) -> None:
    """One rollout per plane; the four changes one after another, each undone before the next."""
    plane = Plane(world, srv, clock)
    assert plane.reconcile().found == {}
    for kind, change in CHANGES.items():
        undo = change(plane)
        report = plane.reconcile()
        assert report.found == {kind: 1}, (kind, report.drift)
        drift = Drift.objects.get(status="open")
        assert (drift.kind, drift.plane, drift.route) == (kind, srv.app.plane, ROUTES[kind])
        assert drift.group == ("FG-PILOT" if kind == "extra" else "FG-LAB")
        assert bool(drift.device) == (kind == "stale" or (kind == "missing" and srv.app.plane != "ansible")), kind
        undo()
        healed = plane.reconcile()
        assert (healed.found, healed.healed) == ({}, 1), (kind, healed.drift)
        assert Drift.objects.get(pk=drift.pk).status == "resolved"
    assert srv.app.counters.count("assign") == plane.assigns  # healed by the console's undos, never by Fleetgate


@pytest.mark.parametrize("srv", ["intune"], indirect=True)
def test_an_install_deadline_set_in_the_intune_console_is_modified_drift(
    world: World, srv: Running, clock: clocks.FrozenClock
) -> None:
    plane = Plane(world, srv, clock)
    undo = _deadline(plane)
    report = plane.reconcile()
    assert report.found == {"modified": 1}, report.drift
    drift = Drift.objects.get(status="open")
    assert drift.observed["assignments"][0]["deadline"] == "2026-12-24T08:00:00Z"
    assert "by 2026-12-24T08:00:00Z" in drift.summary
    undo()
    assert plane.reconcile().healed == 1
