"""The CLI end to end: host commands on the database, client commands over real HTTP to a live server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fleetgate.audit.models import LedgerEvent
from fleetgate.cli.main import app
from fleetgate.core.roles import Role
from fleetgate.intents.models import DeploymentIntent
from tests.factories import World, make_token, sealed_intent

pytestmark = pytest.mark.django_db(transaction=True)
runner = CliRunner()

MANIFEST = """
kind: DeploymentIntent
name: {name}
title: {title}
application: {app}
version: 1.0.0
target: {{boundary: acme, business_unit: finance, site_classes: [online]}}
ring_plan:
  - {{ring: lab, target_group: FG-LAB, device_count: 8}}
  - {{ring: canary, target_group: FG-CANARY, device_count: 80}}
rollback_plan: {{strategy: uninstall}}
"""


def run(*args: str, server: Any = None, token: str | None = None) -> Any:
    extra: list[str] = []
    if server is not None:
        extra += ["--server", server.url]
    if token is not None:
        extra += ["--token", token]
    return runner.invoke(app, [*args, *extra], catch_exceptions=False)


@pytest.fixture
def setup(live_server: Any) -> tuple[World, str, Any]:
    world = World.build()
    return world, make_token(world.users[Role.PUBLISHER]), live_server


def test_apply_is_declarative_and_idempotent(setup: tuple[World, str, Any], tmp_path: Path) -> None:
    world, token, server = setup
    path = tmp_path / "intent.yaml"
    path.write_text(MANIFEST.format(name="ff-finance", title="Firefox", app=world.app.name))

    dry = run("apply", "-f", str(path), "--dry-run", server=server, token=token)
    assert dry.exit_code == 0, dry.output
    assert "+title: Firefox" in dry.output
    assert "dry run" in dry.output
    assert not DeploymentIntent.objects.exists()

    created = run("apply", "-f", str(path), server=server, token=token)
    assert created.exit_code == 0, created.output
    assert "ff-finance: created" in created.output
    again = run("apply", "-f", str(path), server=server, token=token)
    assert "ff-finance: unchanged" in again.output

    path.write_text(MANIFEST.format(name="ff-finance", title="Firefox ESR", app=world.app.name))
    changed = run("apply", "-f", str(path), server=server, token=token)
    assert "-title: Firefox" in changed.output
    assert "+title: Firefox ESR" in changed.output
    assert "ff-finance: updated" in changed.output
    assert DeploymentIntent.objects.get(name="ff-finance").title == "Firefox ESR"


def test_apply_reports_bad_manifests(setup: tuple[World, str, Any], tmp_path: Path) -> None:
    world, token, server = setup
    path = tmp_path / "bad.yaml"
    path.write_text("name: [unclosed")
    assert "not valid YAML" in run("apply", "-f", str(path), server=server, token=token).output
    path.write_text("name: x\ntitle: y\ncolour: red\n")
    result = run("apply", "-f", str(path), server=server, token=token)
    assert result.exit_code == 1
    assert "colour" in result.output
    path.write_text(MANIFEST.format(name="x", title="t", app=world.app.name).replace("FG-LAB", "''"))
    result = run("apply", "-f", str(path), server=server, token=token)
    assert result.exit_code == 1
    assert "ring_plan[0].target_group" in result.output


def test_intent_list_show_submit_cancel(setup: tuple[World, str, Any]) -> None:
    world, token, server = setup
    intent = sealed_intent(world, name="cli-intent").intent  # submitting needs sealed evidence and risk
    listed = run("intent", "list", "--json", server=server, token=token)
    assert [row["name"] for row in json.loads(listed.output)] == ["cli-intent"]
    table = run("intent", "list", "--state", "draft", server=server, token=token)
    assert table.exit_code == 0
    assert "state" in table.output
    shown = run("intent", "show", "cli-intent", server=server, token=token)
    assert json.loads(shown.output)["id"] == str(intent.pk)
    assert "state approved" in run("intent", "submit", "cli-intent", server=server, token=token).output
    again = run("intent", "submit", str(intent.pk), server=server, token=token)
    assert again.exit_code == 1
    assert "invalid-transition" in again.output
    assert "Next:" in again.output
    assert "Cancelled" in run("intent", "cancel", "cli-intent", "--reason", "x", server=server, token=token).output


def test_client_errors_say_what_to_do(setup: tuple[World, str, Any]) -> None:
    _world, _, server = setup
    denied = run("intent", "list", server=server, token="fg_bad_token")
    assert denied.exit_code == 1
    assert "FLEETGATE_TOKEN" in denied.output
    unreachable = runner.invoke(app, ["intent", "list", "--server", "http://127.0.0.1:9", "--token", "x"])
    assert unreachable.exit_code == 1
    assert "make run" in unreachable.output


def test_user_and_token_bootstrap_then_audit(setup: tuple[World, str, Any], tmp_path: Path) -> None:
    _world, _, server = setup
    made = run("user", "create", "carol", "--role", "auditor", "--role", "publisher:acme:finance,hr")
    assert made.exit_code == 0, made.output
    assert "Password (shown once)" in made.output
    token_out = run("token", "create", "--user", "carol", "--name", "export")
    secret = token_out.stdout.strip().splitlines()[-1]
    assert secret.startswith("fg_")
    assert run("token", "create", "--user", "nobody").exit_code == 1

    out = tmp_path / "ledger.jsonl"
    exported = run("audit", "export", "-o", str(out), server=server, token=secret)
    assert exported.exit_code == 0, exported.output
    lines = out.read_text().splitlines()
    assert len(lines) == LedgerEvent.objects.count()
    assert json.loads(lines[0])["sequence"] == 1

    verified = run("audit", "verify")
    assert verified.exit_code == 0
    assert "Ledger intact" in verified.output
    remote = run("audit", "verify", "--remote", server=server, token=secret)
    assert "Ledger intact" in remote.output


def test_remote_user_and_token_by_a_platform_admin(setup: tuple[World, str, Any]) -> None:
    world, publisher_token, server = setup
    admin_token = make_token(world.users[Role.PLATFORM_ADMIN])
    made = run("user", "create", "dave", "--role", "auditor", "--remote", server=server, token=admin_token)
    assert made.exit_code == 0, made.output
    # an admin never mints a token for another person (it could act as them); only for service accounts
    refused = run("token", "create", "--user", "dave", "--remote", server=server, token=admin_token)
    assert refused.exit_code == 1
    assert "service accounts" in refused.output
    robot = run("user", "create", "ci-bot", "--service-account", "--remote", server=server, token=admin_token)
    assert robot.exit_code == 0, robot.output
    minted = run("token", "create", "--user", "ci-bot", "--remote", server=server, token=admin_token)
    assert minted.stdout.strip().splitlines()[-1].startswith("fg_")
    assert run("token", "create", "--user", "ghost", "--remote", server=server, token=admin_token).exit_code == 1
    denied = run("user", "create", "eve", "--remote", server=server, token=publisher_token)
    assert denied.exit_code == 1
    assert "Platform Admin" in denied.output


def test_audit_verify_exits_2_when_broken(setup: tuple[World, str, Any]) -> None:
    from django.db import connection

    from fleetgate.audit import triggers

    with connection.cursor() as cursor:
        for sql in triggers.drop_sql(connection.vendor):
            cursor.execute(sql)
        cursor.execute("UPDATE audit_ledgerevent SET reason = 'forged' WHERE sequence = 3")
        for sql in triggers.create_sql(connection.vendor):
            cursor.execute(sql)
    result = run("audit", "verify")
    assert result.exit_code == 2
    assert "BROKEN at sequence 3" in result.output


def test_seed_demo_is_idempotent(live_server: Any) -> None:
    first = run("seed-demo")
    assert first.exit_code == 0, first.output
    assert "publisher" in first.output
    intents = DeploymentIntent.objects.count()
    assert intents >= 5
    assert {"draft", "awaiting_cab", "approved", "cancelled"} <= set(
        DeploymentIntent.objects.values_list("state", flat=True)
    )
    second = run("seed-demo")
    assert second.exit_code == 0
    assert DeploymentIntent.objects.count() == intents


def test_host_command_on_an_unmigrated_database_says_what_to_do(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "FLEETGATE_DATA_DIR": str(tmp_path), "FLEETGATE_DATABASE_URL": ""}
    done = subprocess.run(
        [sys.executable, "-m", "fleetgate.cli.main", "token", "create", "--user", "x"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "fleetgate migrate" in done.stderr
