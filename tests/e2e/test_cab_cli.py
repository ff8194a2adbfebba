"""`fleetgate cab list|show|approve|reject|conditional` over real HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from fleetgate.approvals import services as approvals
from fleetgate.approvals.models import CabRequest
from fleetgate.cli.main import app
from fleetgate.core.roles import Role
from fleetgate.intents.models import DeploymentIntent
from tests.factories import World, make_actor, make_token, ring_plan, sealed_intent, user_model

pytestmark = pytest.mark.django_db(transaction=True)
runner = CliRunner()


def run(*args: str, server: Any, token: str) -> Any:
    return runner.invoke(app, [*args, "--server", server.url, "--token", token], catch_exceptions=False)


def _awaiting(world: World, name: str) -> CabRequest:
    sealed = sealed_intent(world, high_risk=True, name=name, ring_plan=ring_plan("lab", "canary", "pilot"))
    approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
    return CabRequest.objects.get(intent=sealed.intent)


def test_cab_commands(live_server: Any) -> None:
    world = World.build()
    request = _awaiting(world, "cab-cli")
    cab = make_token(world.users[Role.CAB_APPROVER])
    listed = run("cab", "list", "--queue", "pending", "--json", server=live_server, token=cab)
    assert [r["id"] for r in json.loads(listed.output)] == [str(request.pk)]
    table = run("cab", "list", server=live_server, token=cab)
    assert "0/1" in table.output
    shown = json.loads(run("cab", "show", "cab-cli", server=live_server, token=cab).output)
    assert shown["scope"]["quorum"] == 1
    assert shown["risk"]["cab_required"] is True
    bad = run("cab", "conditional", str(request.pk), "--max-ring", "global", server=live_server, token=cab)
    assert bad.exit_code == 1
    assert "conditions.max_ring" in bad.output
    done = run("cab", "conditional", "cab-cli", "--max-ring", "canary", "--days", "10", server=live_server, token=cab)
    assert done.exit_code == 0, done.output
    assert "request approved, intent approved" in done.output
    closed = run("cab", "reject", "cab-cli", "--reason", "late", server=live_server, token=cab)
    assert closed.exit_code == 1
    assert "request-closed" in closed.output

    second = CabRequest.objects.get(pk=_awaiting(World.build(), "cab-cli-2").pk)
    other = make_token(user_model().objects.get(pk=make_actor(Role.CAB_APPROVER).user_pk))
    rejected = run("cab", "reject", str(second.pk), "--reason", "no rollback", server=live_server, token=other)
    assert "intent rejected" in rejected.output
    assert DeploymentIntent.objects.get(pk=second.intent_id).state == "rejected"
    publisher = make_token(world.users[Role.PUBLISHER])
    denied = run("cab", "approve", str(request.pk), server=live_server, token=publisher)
    assert denied.exit_code == 1
    assert "forbidden" in denied.output
