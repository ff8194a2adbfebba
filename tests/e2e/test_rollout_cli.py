"""`fleetgate rollout|incident|window|freeze` over real HTTP, against a live server and a simulated plane."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from huey.contrib.djhuey import HUEY
from typer.testing import CliRunner

from fleetgate.approvals import services as approvals
from fleetgate.cli import rollouts as rollout_cli
from fleetgate.cli.main import app
from fleetgate.connectors import services as connectors
from fleetgate.connectors.base import Runtime
from fleetgate.core.roles import Role
from fleetgate.intents.states import State
from fleetgate.rollouts import clock as clocks
from fleetgate.rollouts.models import ChangeFreeze, Incident, MaintenanceWindow, Rollout
from fleetgate.rollouts.services import engine
from fleetsim.fleet import Fleet, GroupSpec
from fleetsim.planes import SIMULATORS, connection
from fleetsim.server import Running, start
from tests.factories import World, make_token, sealed_intent
from tests.fixtures.connectors.support import FakeClock, Sleeps

pytestmark = pytest.mark.django_db(transaction=True)
runner = CliRunner()
PLAN = [
    {"ring": "lab", "target_group": "FG-LAB", "device_count": 8},
    {"ring": "canary", "target_group": "FG-CANARY", "device_count": 40},
]


def run(*args: str, server: Any, token: str) -> Any:
    return runner.invoke(app, [*args, "--server", server.url, "--token", token], catch_exceptions=False)


@pytest.fixture(autouse=True)
def jobs_run_inline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No consumer runs in tests: Huey runs each job as it is enqueued; plane retries do not sleep."""
    monkeypatch.setattr(connectors, "runtime_factory", lambda: Runtime(sleep=Sleeps(), clock=FakeClock()))
    HUEY.immediate = True
    width, rollout_cli.console.width = rollout_cli.console.width, 200  # tables unwrapped, whatever the terminal
    try:
        yield
    finally:
        HUEY.immediate = False
        rollout_cli.console.width = width


@pytest.fixture
def clock() -> Iterator[clocks.FrozenClock]:
    frozen = clocks.FrozenClock()
    with clocks.using(frozen):
        yield frozen


@pytest.fixture
def plane() -> Iterator[Running]:
    groups = (GroupSpec("FG-LAB", 8), GroupSpec("FG-CANARY", 40))
    fleet = Fleet(seed=5, groups=groups, success_probability=1.0, late_fraction=0.0)
    handle = start(SIMULATORS["sccm"](seed=5, fleet=fleet))
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def world(live_server: Any, plane: Running) -> World:
    built = World.build()
    data = {**connection(plane.app), "name": "plane-sccm"}
    connectors.create(actor=built.actors[Role.PLATFORM_ADMIN], data=data)
    return built


def _approved(world: World, name: str) -> Any:
    sealed = sealed_intent(world, name=name, ring_plan=PLAN, rollback_plan={"strategy": "uninstall"})
    intent = approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
    assert intent.state == State.APPROVED
    return intent


def _pass_time(plane: Running, clock: clocks.FrozenClock, hours: float) -> None:
    clock.advance(hours=hours)
    plane.app.advance(hours * 3600)


def test_start_status_plan_and_refusals(
    world: World, live_server: Any, plane: Running, clock: clocks.FrozenClock
) -> None:
    publisher = make_token(world.users[Role.PUBLISHER])
    intent = _approved(world, "cli-rollout")

    none_yet = run("rollout", "status", "cli-rollout", server=live_server, token=publisher)
    assert none_yet.exit_code == 1
    assert "has no rollout (it is approved)" in none_yet.output
    assert "Next: start it with `fleetgate rollout start cli-rollout`" in none_yet.output

    planned = run("rollout", "plan", "cli-rollout", "--json", server=live_server, token=publisher)
    assert planned.exit_code == 0, planned.output
    assert [r["ring"] for r in json.loads(planned.output)["rings"]] == ["lab", "canary"]
    assert "canary" in run("rollout", "plan", "cli-rollout", server=live_server, token=publisher).output
    assert not Rollout.objects.exists()  # a plan touches nothing

    started = run("rollout", "start", "cli-rollout", "--wait", server=live_server, token=publisher)
    assert started.exit_code == 0, started.output
    assert "Accepted start on cli-rollout" in started.output
    assert "succeeded; rollout running" in started.output
    rollout = Rollout.objects.get(intent=intent)
    assert rollout.current_ring == "lab"

    _pass_time(plane, clock, 2)
    engine.advance(intent_id=intent.pk)
    shown = run("rollout", "status", "cli-rollout", server=live_server, token=publisher)
    assert shown.exit_code == 0, shown.output
    assert "running at lab" in shown.output
    assert "8 installed, 0 failed, 0 pending of 8" in shown.output
    assert "plane-sccm (windows, FG-LAB)" in shown.output
    assert "min_soak: waiting" in shown.output
    detail = json.loads(run("rollout", "status", "cli-rollout", "--json", server=live_server, token=publisher).output)
    assert detail["rings"][0]["targets"][0]["counts"]["installed"] == 8

    early = run("rollout", "promote", "cli-rollout", "--reason", "looks fine", server=live_server, token=publisher)
    assert early.exit_code == 1
    assert "gate-not-met" in early.output
    assert "min_soak" in early.output
    assert "Next: see what holds it with `fleetgate rollout status cli-rollout`" in early.output
    again = run("rollout", "start", "cli-rollout", server=live_server, token=publisher)
    assert again.exit_code == 1
    assert "Error 409" in again.output


def test_pause_resume_halt_rollback_and_watch(
    world: World, live_server: Any, plane: Running, clock: clocks.FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher = make_token(world.users[Role.PUBLISHER])
    ops = make_token(world.users[Role.ENDPOINT_OPS])
    intent = _approved(world, "cli-actions")
    assert run("rollout", "start", "cli-actions", server=live_server, token=publisher).exit_code == 0

    paused = run("rollout", "pause", "cli-actions", "--reason", "helpdesk spike", server=live_server, token=ops)
    assert paused.exit_code == 0, paused.output
    assert "Accepted pause" in paused.output
    assert "rollout paused" in paused.output
    denied = run("rollout", "resume", "cli-actions", server=live_server, token=ops)
    assert denied.exit_code == 1
    assert "Error 403" in denied.output
    resumed = run("rollout", "resume", "cli-actions", "--wait", server=live_server, token=publisher)
    assert resumed.exit_code == 0, resumed.output
    assert "advancing after resume" in resumed.output
    halted = run("rollout", "halt", "cli-actions", "--reason", "P2 on finance laptops", server=live_server, token=ops)
    assert "rollout halted" in halted.output
    no_reason = run("rollout", "rollback", "cli-actions", server=live_server, token=ops)
    assert no_reason.exit_code == 2
    assert "--reason" in no_reason.output

    back = run("rollout", "rollback", "cli-actions", "--reason", "bad build", "--wait", server=live_server, token=ops)
    assert back.exit_code == 0, back.output
    assert Rollout.objects.get(intent=intent).status == Rollout.Status.ROLLING_BACK

    redraws: list[float] = []

    def tick(seconds: float) -> None:  # each redraw interval: the planes report, the engine advances
        redraws.append(seconds)
        _pass_time(plane, clock, 5)
        engine.advance(intent_id=intent.pk)

    monkeypatch.setattr(rollout_cli.time, "sleep", tick)
    watched = run("rollout", "status", "cli-actions", "--watch", "--interval", "0.5", server=live_server, token=ops)
    assert watched.exit_code == 0, watched.output
    assert redraws
    assert set(redraws) == {0.5}
    assert "rolled_back" in watched.output
    assert Rollout.objects.get(intent=intent).status == Rollout.Status.ROLLED_BACK


def test_incidents_windows_and_freeze(world: World, live_server: Any) -> None:
    publisher = make_token(world.users[Role.PUBLISHER])
    ops = make_token(world.users[Role.ENDPOINT_OPS])
    admin = make_token(world.users[Role.PLATFORM_ADMIN])
    incident_intent = _approved(world, "cli-incident")

    orphan = run("incident", "create", "--title", "x", "--priority", "P3", server=live_server, token=ops)
    assert orphan.exit_code == 1
    assert "Next: pass --intent NAME" in orphan.output
    opened = run(
        "incident", "create", "--intent", "cli-incident", "--priority", "p3", "--title", "Slow logons",
        "--ticket", "INC0012345", server=live_server, token=ops,
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    row = Incident.objects.get()
    assert (row.priority, row.external_ticket, row.intent_id) == ("P3", "INC0012345", incident_intent.pk)
    listed = json.loads(
        run("incident", "list", "--intent", "cli-incident", "--json", server=live_server, token=ops).output
    )
    assert [r["id"] for r in listed] == [str(row.pk)]
    assert "Slow logons" in run("incident", "list", "--state", "open", server=live_server, token=ops).output
    by_publisher = run("incident", "resolve", str(row.pk), "--resolution", "GPO", server=live_server, token=publisher)
    assert by_publisher.exit_code == 1
    assert "Error 403" in by_publisher.output
    resolved = run("incident", "resolve", str(row.pk), "--resolution", "GPO fixed", server=live_server, token=ops)
    assert "Resolved incident" in resolved.output
    assert Incident.objects.get().state == Incident.State.RESOLVED

    created = run(
        "window", "create", "--name", "Saturday night", "--boundary", "acme", "--starts", "2026-12-05T22:00",
        "--duration", "240", "--rrule", "FREQ=WEEKLY;BYDAY=SA", "--timezone", "Europe/Berlin",
        server=live_server, token=ops,
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert MaintenanceWindow.objects.get().rrule == "FREQ=WEEKLY;BYDAY=SA"
    table = run("window", "list", "--boundary", "acme", server=live_server, token=ops)
    assert "Saturday night" in table.output
    assert "FREQ=WEEKLY;BYDAY=SA" in table.output
    bad = run(
        "window", "create", "--name", "x", "--boundary", "acme", "--starts", "2026-12-05T22:00", "--duration", "60",
        "--rrule", "FREQ=SOMETIMES", server=live_server, token=ops,
    )  # fmt: skip
    assert bad.exit_code == 1
    assert "rrule" in bad.output

    refused = run("freeze", "on", "--reason", "year end", server=live_server, token=ops)
    assert refused.exit_code == 1
    assert "Error 403" in refused.output
    assert "Next: ask a Platform Admin" in refused.output
    assert not ChangeFreeze.objects.exists()
    frozen = run("freeze", "on", "--reason", "year end", server=live_server, token=admin)
    assert frozen.exit_code == 0, frozen.output
    assert "Change freeze on" in frozen.output
    assert "year end" in frozen.output
    assert "Change freeze off" in run("freeze", "off", "--reason", "done", server=live_server, token=admin).output
    assert ChangeFreeze.objects.get().ended_at is not None
