"""Contract tests: every connector against its simulator over real HTTP on loopback, for the
success path and every fault the simulators inject. No database, nothing leaves 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetgate.connectors.base import RingGroup
from fleetgate.connectors.breaker import CLOSED, OPEN
from fleetgate.connectors.errors import CircuitOpen, Permanent, Transient
from fleetsim.fleet import GroupSpec
from tests.fixtures.connectors.support import (
    CANARY,
    INTENT,
    PLANES,
    FakeClock,
    Sleeps,
    artifact,
    connector_for,
    mutating,
    serving,
)

DAY = 86400.0


@pytest.mark.parametrize("plane", PLANES)
def test_publish_assign_observe_inventory_retire(plane: str, tmp_path: Path) -> None:
    with serving(plane) as srv:
        sim, connector = srv.app, connector_for(srv.app)
        assert connector.check().ok
        app = connector.publish(artifact(tmp_path), "k-publish")
        assert app.plane == plane
        assert app.external_id
        assigned = connector.assign(app, CANARY, INTENT, "k-assign")
        assert assigned.external_id
        assert assigned.correlation == connector.marker("k-assign")
        found = connector.find_assignment(app, CANARY, INTENT, "k-assign")
        assert found is not None
        assert found.external_id == assigned.external_id

        early = connector.observe(app, CANARY)
        assert (early.installed, early.failed, early.pending) == (0, 0, 30)

        sim.advance(30 * DAY)
        late = connector.observe(app, CANARY)
        assert late.total == 30
        assert late.pending == 0
        assert late.installed >= 25
        assert late.installed + late.failed + late.not_applicable == 30
        assert late.pages_read >= 1
        assert sum(len(p.devices) for p in late.detail_pages) == late.failed + late.not_applicable

        items = connector.inventory(CANARY)
        assert any(i.intent == "install" and (i.version in ("", app.version)) for i in items), items
        retired = connector.retire(app, CANARY, "k-retire")
        assert retired.operation == "retire"
        if plane in ("intune", "jamf", "sccm"):
            again = connector.find_published(artifact(tmp_path), "k-publish")
            assert again is not None
            assert again.external_id == app.external_id
            assert connector.find_published(artifact(tmp_path), "other-key") is None
        assert connector.find_assignment(app, CANARY, INTENT, "never-used") is None or plane == "landscape"


@pytest.mark.parametrize("plane", PLANES)
def test_same_seed_same_outcome(plane: str, tmp_path: Path) -> None:
    results = []
    for _ in range(2):
        with serving(plane, seed=5) as srv:
            connector = connector_for(srv.app)
            app = connector.publish(artifact(tmp_path), "k")
            connector.assign(app, CANARY, INTENT, "k2")
            srv.app.advance(DAY)
            observed = connector.observe(app, CANARY)
            results.append((observed.installed, observed.failed, observed.pending, observed.not_applicable))
    assert results[0] == results[1]


@pytest.mark.parametrize("plane", ["intune", "sccm", "ansible", "landscape"])
def test_observe_pages_through_big_groups(plane: str, tmp_path: Path) -> None:
    groups = (GroupSpec("FG-PILOT", 2100),)
    with serving(plane, groups=groups) as srv:
        connector = connector_for(srv.app)
        group = RingGroup("FG-PILOT")
        app = connector.publish(artifact(tmp_path), "k")
        connector.assign(app, group, INTENT, "k2")
        srv.app.advance(90 * DAY)
        observed = connector.observe(app, group)
        assert observed.total == 2100
        assert observed.pending == 0
        assert observed.pages_read >= 3
        assert sum(len(p.devices) for p in observed.detail_pages) <= 1000


def test_air_gapped_devices_stay_pending(tmp_path: Path) -> None:
    with serving("sccm") as srv:
        connector = connector_for(srv.app)
        group = RingGroup("FG-AIRGAP")
        app = connector.publish(artifact(tmp_path), "k")
        connector.assign(app, group, INTENT, "k2")
        srv.app.advance(365 * DAY)
        assert connector.observe(app, group).pending == 5


@pytest.mark.parametrize("plane", PLANES)
def test_429_honours_retry_after(plane: str) -> None:
    with serving(plane) as srv:
        sleeps = Sleeps()
        connector = connector_for(srv.app, sleeps=sleeps)
        srv.app.faults.add("throttle", times=2, retry_after=7)
        assert connector.check().ok
        assert sleeps.waits == [7.0, 7.0]
        assert sum(1 for f in srv.app.faults.fired if f[0] == "throttle") == 2


@pytest.mark.parametrize("plane", PLANES)
def test_503_burst_backs_off_exponentially(plane: str) -> None:
    with serving(plane) as srv:
        sleeps = Sleeps()
        connector = connector_for(srv.app, sleeps=sleeps)
        srv.app.faults.add("unavailable", times=3)
        assert connector.check().ok
        assert len(sleeps.waits) == 3
        for attempt, wait in enumerate(sleeps.waits, start=1):
            ceiling = min(60, 2 * 2 ** (attempt - 1))
            assert ceiling / 2 <= wait <= ceiling


@pytest.mark.parametrize("plane", PLANES)
def test_timeouts_are_retried(plane: str) -> None:
    with serving(plane) as srv:
        sleeps = Sleeps()
        connector = connector_for(srv.app, sleeps=sleeps, timeout=0.25)
        srv.app.faults.add("timeout", times=1, delay=0.8)
        assert connector.check().ok
        assert len(sleeps.waits) == 1


@pytest.mark.parametrize("plane", PLANES)
def test_breaker_opens_after_five_transient_failures_then_recovers(plane: str) -> None:
    with serving(plane) as srv:
        clock = FakeClock()
        connector = connector_for(srv.app, clock=clock, max_attempts=10)
        srv.app.faults.add("unavailable", times=-1)
        with pytest.raises(CircuitOpen):
            connector.check()
        assert len(srv.app.requests) == 5, "the sixth call must not reach the plane"
        assert connector.breaker.state.state == OPEN
        with pytest.raises(CircuitOpen):
            connector.check()
        assert len(srv.app.requests) == 5
        srv.app.faults.clear()
        clock.now += 60
        assert connector.check().ok  # the half-open trial succeeds
        assert connector.breaker.state.state == CLOSED


@pytest.mark.parametrize("plane", ["intune", "jamf", "sccm"])
def test_duplicate_name_conflict_fails_fast(plane: str, tmp_path: Path) -> None:
    with serving(plane) as srv:
        sleeps = Sleeps()
        connector = connector_for(srv.app, sleeps=sleeps)
        srv.app.faults.add("conflict", times=1)
        with pytest.raises(Permanent) as caught:
            connector.publish(artifact(tmp_path), "k")
        assert caught.value.status == 409
        assert sleeps.waits == []


def test_jamf_refuses_a_second_policy_with_the_same_name(tmp_path: Path) -> None:
    with serving("jamf") as srv:
        connector = connector_for(srv.app)
        app = connector.publish(artifact(tmp_path), "k")
        connector.assign(app, CANARY, INTENT, "same-key")
        with pytest.raises(Permanent, match="Duplicate name"):
            connector.assign(app, CANARY, INTENT, "same-key")


@pytest.mark.parametrize("plane", PLANES)
def test_bad_credentials_fail_fast(plane: str) -> None:
    with serving(plane) as srv:
        sleeps = Sleeps()
        secrets = {k: "wrong" for k in connector_for(srv.app).config.secrets}
        connector = connector_for(srv.app, sleeps=sleeps, secrets=secrets)
        with pytest.raises(Permanent) as caught:
            connector.check()
        assert caught.value.status in (400, 401)
        assert sleeps.waits == []


@pytest.mark.parametrize("plane", PLANES)
def test_dry_run_records_every_change_and_sends_none(plane: str, tmp_path: Path) -> None:
    with serving(plane) as srv:
        connector = connector_for(srv.app, dry_run=True)
        app = connector.publish(artifact(tmp_path), "k")
        connector.assign(app, CANARY, INTENT, "k2")
        connector.retire(app, CANARY, "k3")
        assert mutating(srv.app) == []
        would_send = [r for r in connector.recorded if not r.sent]
        assert would_send, "dry run must record what it would have sent"
        assert all(r.headers.get("Authorization", "***") == "***" for r in connector.recorded)
        assert all("s3cret" not in r.body for r in connector.recorded)


def test_a_transient_failure_after_the_plane_acted_is_visible_to_find(tmp_path: Path) -> None:
    """Eventual consistency: the created object hides for two reads, then shows up."""
    with serving("intune") as srv:
        connector = connector_for(srv.app)
        srv.app.faults.add("eventual", times=1, reads=2)
        app = connector.publish(artifact(tmp_path), "k")
        assert connector.find_published(artifact(tmp_path), "k") is None
        assert connector.find_published(artifact(tmp_path), "k") is None
        again = connector.find_published(artifact(tmp_path), "k")
        assert again is not None
        assert again.external_id == app.external_id


def test_transient_error_carries_retry_after_when_exhausted() -> None:
    with serving("ansible") as srv:
        connector = connector_for(srv.app, max_attempts=2)
        srv.app.faults.add("throttle", times=-1, retry_after=3)
        with pytest.raises(Transient) as caught:
            connector.check()
        assert caught.value.retry_after == 3
        assert caught.value.status == 429
