"""Dual-control role grants from the CLI over real HTTP: one Platform Admin files, another approves, and
every refusal says the next command (never an API URL)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from fleetgate.audit.models import LedgerEvent
from fleetgate.cli.main import app
from fleetgate.core.roles import Role
from fleetgate.identity.models import RoleGrantRequest
from tests.factories import World, make_token, make_user

pytestmark = pytest.mark.django_db(transaction=True)
runner = CliRunner()


def test_file_list_refuse_own_approve_and_reject(live_server: Any) -> None:
    world = World.build()
    first = make_token(world.users[Role.PLATFORM_ADMIN])
    second = make_token(make_user(Role.PLATFORM_ADMIN))

    def run(*args: str, token: str | None = None) -> Any:
        remote = ["--remote", "--server", live_server.url, "--token", token] if token else []
        return runner.invoke(app, ["user", *args, *remote], catch_exceptions=False)

    refused = run("create", "carol", "--role", "cab_approver:acme", token=first)
    assert refused.exit_code == 1
    assert "fleetgate user grant-request create carol --role cab_approver:acme" in refused.output
    assert "/api/" not in refused.output
    assert run("create", "carol", "--role", "auditor", token=first).exit_code == 0

    filed = run(
        "grant-request", "create", "carol", "-r", "cab_approver:acme", "--reason", "Joins the board.", token=first
    )
    assert filed.exit_code == 0, filed.output
    row = RoleGrantRequest.objects.get(user__username="carol")
    assert f"fleetgate user grant-request approve {row.pk} --remote" in filed.output

    listed = run("grant-request", "list", token=first)
    assert "carol" in listed.output
    assert f"Request {row.pk} is yours" in listed.output

    own = run("grant-request", "approve", str(row.pk), token=first)
    assert own.exit_code == 1
    assert f"ask another Platform Admin to run `fleetgate user grant-request approve {row.pk} --remote`" in own.output
    assert "/api/" not in own.output
    host = run("grant-request", "approve", str(row.pk))  # on the host: the operator is no person
    assert (host.exit_code, "--remote" in host.output) == (1, True)

    approved = run("grant-request", "approve", str(row.pk), "--reason", "Checked with the chair.", token=second)
    assert approved.exit_code == 0, approved.output
    assert "carol now holds cab_approver over acme" in approved.output
    event = LedgerEvent.objects.filter(action="role_grant.approved").get()
    assert event.severity == "critical"

    again = run(
        "grant-request", "create", "carol", "-r", "security_reviewer", "--reason", "Reviews CVEs too.", token=first
    )
    assert again.exit_code == 0, again.output
    other = RoleGrantRequest.objects.get(role="security_reviewer")
    rejected = run("grant-request", "reject", str(other.pk), "--reason", "One deciding role is enough.", token=second)
    assert rejected.exit_code == 0, rejected.output
    host_list = run("grant-request", "list", "--state", "all", "--json")  # the host reads the database
    assert {(r["role"], r["state"]) for r in json.loads(host_list.output)} == {
        ("cab_approver", "approved"),
        ("security_reviewer", "rejected"),
    }
