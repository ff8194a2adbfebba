"""Connector services: configuration by a Platform Admin only, secrets sealed, every change a
ledger event, checks, and durable idempotency that survives a crash between the plane's answer
and the commit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fleetgate.audit.models import LedgerEvent
from fleetgate.connectors import services, vault
from fleetgate.connectors.base import Runtime
from fleetgate.connectors.models import ConnectorInstance, IdempotencyRecord
from fleetgate.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PlaneRejected,
    PlaneUnavailable,
    PreconditionFailed,
    ValidationFailed,
)
from fleetgate.core.roles import Role
from fleetsim.planes import connection
from tests.factories import World, last_event, make_connector
from tests.fixtures.connectors.support import CANARY, INTENT, PLANES, FakeClock, Sleeps, artifact, serving

pytestmark = pytest.mark.django_db


class SimulatedCrash(BaseException):
    """The worker dies after the plane answered, before the result is committed."""


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    sleeps = Sleeps()
    monkeypatch.setattr(services, "runtime_factory", lambda: Runtime(sleep=sleeps, clock=FakeClock()))
    return sleeps


def _register(world: World, srv: Any, **extra: Any) -> ConnectorInstance:
    conn = connection(srv.app)
    return services.create(
        actor=world.actors[Role.PLATFORM_ADMIN], data={**conn, "name": f"sim-{conn['kind']}", **extra}
    )


# ---- configuration --------------------------------------------------------------------------


def test_platform_admin_creates_with_sealed_secrets(world: World) -> None:
    connector = make_connector(world.actors[Role.PLATFORM_ADMIN])
    event = last_event()
    assert (event.action, event.subject_id) == ("connector.created", str(connector.pk))
    assert event.after["secret_names"] == ["client_secret"]
    assert "s3cret-value" not in str(event.after)
    row = ConnectorInstance.objects.get(pk=connector.pk)
    assert "s3cret-value" not in row.secrets_ciphertext
    assert row.secrets_ciphertext
    assert vault.unseal(row.secrets_ciphertext) == {"client_secret": "s3cret-value"}
    assert vault.key_path().exists()
    assert oct(vault.key_path().stat().st_mode)[-3:] == "600"


@pytest.mark.parametrize("role", [r for r in Role if r != Role.PLATFORM_ADMIN])
def test_only_a_platform_admin_configures(world: World, role: Role) -> None:
    before = LedgerEvent.objects.count()
    with pytest.raises(Forbidden):
        make_connector(world.actors[role])
    connector = make_connector(world.actors[Role.PLATFORM_ADMIN])
    with pytest.raises(Forbidden):
        services.update(
            actor=world.actors[role], connector_id=connector.pk, changes={"enabled": False}, expected_etag=None
        )
    assert LedgerEvent.objects.count() == before + 1


def test_validation_names_field_and_rule(world: World) -> None:
    admin = world.actors[Role.PLATFORM_ADMIN]
    with pytest.raises(ValidationFailed) as caught:
        services.create(
            actor=admin,
            data={"name": "x", "kind": "intune", "base_url": "ftp://x", "settings": {}, "secrets": {"password": "p"}},
        )
    rules = {(e.field, e.rule) for e in caught.value.errors}
    assert {
        ("base_url", "url"),
        ("settings.tenant_id", "required"),
        ("settings.client_id", "required"),
        ("secrets.client_secret", "required"),
        ("secrets.password", "unknown"),
    } <= rules
    with pytest.raises(ValidationFailed) as caught:
        services.create(actor=admin, data={"name": "x", "kind": "bigfix", "base_url": "https://x"})
    assert ("kind", "choice") in {(e.field, e.rule) for e in caught.value.errors}
    make_connector(admin, name="dup")
    with pytest.raises(Conflict):
        make_connector(admin, name="dup")


def test_jamf_user_bearer_mode_needs_a_username_and_password(world: World) -> None:
    admin = world.actors[Role.PLATFORM_ADMIN]
    base = {"kind": "jamf", "base_url": "https://jamf.example.com"}
    with pytest.raises(ValidationFailed) as caught:
        services.create(actor=admin, data={**base, "name": "u", "settings": {"auth": "user"}, "secrets": {}})
    assert {(e.field, e.rule) for e in caught.value.errors} == {
        ("settings.username", "required"),
        ("secrets.password", "required"),
    }
    with pytest.raises(ValidationFailed) as caught:
        services.create(actor=admin, data={**base, "name": "k", "settings": {"auth": "kerberos"}, "secrets": {}})
    assert ("settings.auth", "choice") in {(e.field, e.rule) for e in caught.value.errors}
    made = services.create(
        actor=admin,
        data={
            **base,
            "name": "user-mode",
            "settings": {"auth": "user", "username": "api"},
            "secrets": {"password": "p"},
        },
    )
    assert made.secret_names == ["password"]


def test_update_needs_a_fresh_etag_and_rotates_secrets(world: World) -> None:
    admin = world.actors[Role.PLATFORM_ADMIN]
    connector = make_connector(admin)
    with pytest.raises(PreconditionFailed):
        services.update(actor=admin, connector_id=connector.pk, changes={"dry_run": True}, expected_etag='"stale"')
    updated = services.update(
        actor=admin,
        connector_id=connector.pk,
        changes={"dry_run": True, "secrets": {"client_secret": "new"}},
        expected_etag=connector.etag,
    )
    assert updated.revision == 2
    assert updated.dry_run
    assert vault.unseal(updated.secrets_ciphertext) == {"client_secret": "new"}
    event = last_event()
    assert event.action == "connector.updated"
    assert (event.before["dry_run"], event.after["dry_run"], event.after["secrets_rotated"]) == (
        False,
        True,
        ["client_secret"],
    )
    assert "new" not in str(event.after.get("settings"))
    with pytest.raises(NotFound):
        services.update(actor=admin, connector_id="nope", changes={}, expected_etag=None)


# ---- checks ---------------------------------------------------------------------------------


def test_check_of_an_unreachable_plane_reports_down(world: World) -> None:
    connector = make_connector(world.actors[Role.PLATFORM_ADMIN])
    outcome = services.check(actor=world.actors[Role.ENDPOINT_OPS], connector_id=connector.pk)
    assert (outcome.ok, outcome.health) == (False, "down")
    assert "cannot connect" in outcome.detail
    assert last_event().action == "connector.checked"
    assert ConnectorInstance.objects.get(pk=connector.pk).circuit_failures == 1
    with pytest.raises(Forbidden):
        services.check(actor=world.actors[Role.ENDPOINT_OPS], connector_id=connector.pk, exercise=True)


@pytest.mark.parametrize("plane", PLANES)
def test_check_exercises_every_operation(world: World, plane: str) -> None:
    with serving(plane) as srv:
        connector = _register(world, srv)
        outcome = services.check(actor=world.actors[Role.PLATFORM_ADMIN], connector_id=connector.pk, exercise=True)
        assert outcome.health == "healthy", outcome.steps
        assert [s["step"] for s in outcome.steps] == ["publish", "assign", "observe", "inventory", "retire"]
        actions = list(LedgerEvent.objects.filter(subject_id=str(connector.pk)).values_list("action", flat=True))
        assert actions == [
            "connector.created",
            "connector.publish",
            "connector.assign",
            "connector.retire",
            "connector.checked",
        ]


@pytest.mark.parametrize("plane", PLANES)
def test_dry_run_check_returns_the_requests_and_changes_nothing(world: World, plane: str) -> None:
    with serving(plane) as srv:
        connector = _register(world, srv, dry_run=True)
        outcome = services.check(actor=world.actors[Role.PLATFORM_ADMIN], connector_id=connector.pk, exercise=True)
        assert outcome.health == "healthy", outcome.steps
        assert any(not r["sent"] for r in outcome.requests)
        assert not IdempotencyRecord.objects.exists()
        assert [m for m, p in srv.app.requests if m in ("PUT", "PATCH", "DELETE")] == []


def test_breaker_state_is_persisted_and_blocks_calls(world: World, tmp_path: Path) -> None:
    with serving("sccm") as srv:
        connector = _register(world, srv)
        srv.app.faults.add("unavailable", times=-1)
        with pytest.raises(PlaneUnavailable):
            services.publish(actor=services.RUNNER, connector_id=connector.pk, artifact=artifact(tmp_path), key="k")
        row = ConnectorInstance.objects.get(pk=connector.pk)
        assert (row.circuit_state, row.circuit_failures) == ("open", 5)
        calls = len(srv.app.requests)
        with pytest.raises(PlaneUnavailable, match="circuit open"):
            services.publish(actor=services.RUNNER, connector_id=connector.pk, artifact=artifact(tmp_path), key="k")
        assert len(srv.app.requests) == calls
        assert IdempotencyRecord.objects.get().status == "pending"


def test_people_cannot_act_on_planes_and_disabled_connectors_refuse(world: World, tmp_path: Path) -> None:
    admin = world.actors[Role.PLATFORM_ADMIN]
    connector = make_connector(admin)
    with pytest.raises(Forbidden):
        services.publish(actor=admin, connector_id=connector.pk, artifact=artifact(tmp_path), key="k")
    services.update(actor=admin, connector_id=connector.pk, changes={"enabled": False}, expected_etag=None)
    with pytest.raises(Conflict, match="disabled"):
        services.publish(actor=services.RUNNER, connector_id=connector.pk, artifact=artifact(tmp_path), key="k")


def test_a_permanent_refusal_is_recorded_as_failed(world: World, tmp_path: Path) -> None:
    with serving("jamf") as srv:
        connector = _register(world, srv)
        srv.app.faults.add("conflict", times=1)
        with pytest.raises(PlaneRejected) as caught:
            services.publish(actor=services.RUNNER, connector_id=connector.pk, artifact=artifact(tmp_path), key="k")
        assert caught.value.extra["plane_status"] == 409
        assert IdempotencyRecord.objects.get().status == "failed"


# ---- idempotency ----------------------------------------------------------------------------


@pytest.fixture
def crash_once(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Kill the first call of the operation named in the list (default: publish)."""
    target: list[str] = ["publish"]
    crashed: list[str] = []

    def crash(operation: str) -> None:
        if operation == target[0] and not crashed:
            crashed.append(operation)
            raise SimulatedCrash(operation)

    monkeypatch.setattr(services, "after_plane_call", crash)
    return target


def _publishes(sim: Any) -> int:
    creates = {"intune": "/mobileApps", "jamf": "/api/v1/packages", "sccm": "/SMS_Application"}
    return sum(1 for m, p in sim.requests if m == "POST" and p.endswith(creates[sim.plane]))


@pytest.mark.parametrize("plane", ["intune", "jamf", "sccm"])
def test_crash_after_publish_resumes_without_a_duplicate(
    world: World, plane: str, tmp_path: Path, crash_once: list[str]
) -> None:
    with serving(plane) as srv:
        connector = _register(world, srv)
        with pytest.raises(SimulatedCrash):
            services.publish(
                actor=services.RUNNER,
                connector_id=connector.pk,
                artifact=artifact(tmp_path),
                key="intent-1:lab:publish",
            )
        record = IdempotencyRecord.objects.get()
        assert (record.status, record.external_id) == ("pending", "")
        assert _publishes(srv.app) == 1
        app = services.publish(
            actor=services.RUNNER, connector_id=connector.pk, artifact=artifact(tmp_path), key="intent-1:lab:publish"
        )
        assert _publishes(srv.app) == 1, "the restarted worker must find the object, not create a second one"
        record.refresh_from_db()
        assert (record.status, record.external_id, record.attempts) == ("succeeded", app.external_id, 2)
        event = last_event()
        assert (event.action, event.after["resumed"], event.actor_id) == ("connector.publish", True, services.RUNNER.id)
        calls = len(srv.app.requests)
        again = services.publish(
            actor=services.RUNNER, connector_id=connector.pk, artifact=artifact(tmp_path), key="intent-1:lab:publish"
        )
        assert again == app
        assert len(srv.app.requests) == calls, "a finished operation is answered from the store"


def _acts(requests: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Requests that change something on the plane (not token requests, not reads)."""
    changes = ("action=InstallPackages", "action=RemovePackages")
    reads = ("token", "action=Get")  # Landscape POSTs every action, its reads too (the log names the action)
    return [
        r
        for r in requests
        if (r[0] in ("POST", "PUT") and not any(x in r[1] for x in reads)) or any(c in r[1] for c in changes)
    ]


@pytest.mark.parametrize("plane", PLANES)
def test_crash_after_assign_resumes_without_acting_twice(
    world: World, plane: str, tmp_path: Path, crash_once: list[str]
) -> None:
    with serving(plane) as srv:
        connector = _register(world, srv)
        crash_once[0] = "assign"
        app = services.publish(actor=services.RUNNER, connector_id=connector.pk, artifact=artifact(tmp_path), key="p")
        before = len(srv.app.requests)
        with pytest.raises(SimulatedCrash):
            services.assign(
                actor=services.RUNNER, connector_id=connector.pk, app=app, group=CANARY, intent=INTENT, key="a"
            )
        acted = _acts(srv.app.requests[before:])
        result = services.assign(
            actor=services.RUNNER, connector_id=connector.pk, app=app, group=CANARY, intent=INTENT, key="a"
        )
        acted_after = _acts(srv.app.requests[before:])
        assert acted_after == acted, "resuming must not launch, deploy or install again"
        assert IdempotencyRecord.objects.get(operation="assign").external_id == result.external_id


def test_resume_waits_out_eventual_consistency(
    world: World, tmp_path: Path, crash_once: list[str], no_waiting: Sleeps
) -> None:
    with serving("intune") as srv:
        connector = _register(world, srv)
        srv.app.faults.add("eventual", times=1, reads=2)
        with pytest.raises(SimulatedCrash):
            services.publish(actor=services.RUNNER, connector_id=connector.pk, artifact=artifact(tmp_path), key="k")
        services.publish(actor=services.RUNNER, connector_id=connector.pk, artifact=artifact(tmp_path), key="k")
        assert _publishes(srv.app) == 1
        assert no_waiting.waits == [1.0, 2.0, 4.0]  # one upload poll, then two lookups that miss


def test_observe_and_inventory_through_the_service(world: World, tmp_path: Path) -> None:
    with serving("ansible") as srv:
        connector = _register(world, srv)
        app = services.publish(actor=services.RUNNER, connector_id=connector.pk, artifact=artifact(tmp_path), key="p")
        services.assign(actor=services.RUNNER, connector_id=connector.pk, app=app, group=CANARY, intent=INTENT, key="a")
        srv.app.advance(30 * 86400)
        observed = services.observe(actor=services.RUNNER, connector_id=connector.pk, app=app, group=CANARY)
        assert observed.total == 30
        assert observed.pending == 0
        items = services.inventory(actor=services.RUNNER, connector_id=connector.pk, group=CANARY)
        assert [i.name for i in items] == ["firefox-esr"]
        services.retire(actor=services.RUNNER, connector_id=connector.pk, app=app, group=CANARY, key="r")
        srv.app.faults.add("unavailable", times=-1)
        with pytest.raises(PlaneUnavailable):
            services.inventory(actor=services.RUNNER, connector_id=connector.pk, group=CANARY)


def test_a_pending_assign_is_looked_up_from_its_records_creation_time(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Crash recovery hands the connector the pending record's creation time (a plain IntentRef
    field), so a plane that finds assignments by time skips what existed before the record."""
    from dataclasses import replace

    from fleetgate.connectors.base import IntentRef

    with serving("landscape") as srv:
        instance = _register(world, srv)
        connector = services.build(instance)
        app = connector.publish(artifact(tmp_path), "p")
        connector.assign(app, CANARY, INTENT, "an-earlier-rollout")  # the same package on the same tag
        for activity in srv.app.activities.values():
            activity["creation_time"] = "2026-12-01T08:00:00Z"
        record = IdempotencyRecord.objects.create(connector=instance, operation="assign", key="a", correlation="c")
        seen: list[IntentRef] = []
        find = connector.find_assignment

        def spying(app: Any, group: Any, intent: IntentRef, key: str) -> Any:
            seen.append(intent)
            return find(app, group, intent, key)

        connector.find_assignment = spying  # type: ignore[method-assign]
        monkeypatch.setattr(services, "build", lambda row, **_: connector)
        result = services.assign(
            actor=services.RUNNER, connector_id=instance.pk, app=app, group=CANARY, intent=INTENT, key="a"
        )
        assert seen
        assert all(i == replace(INTENT, requested_at=record.created_at) for i in seen)
        assert int(result.external_id) == max(srv.app.activities), "a new install, not the older one"
        record.refresh_from_db()
        assert (record.status, record.external_id) == ("succeeded", result.external_id)
