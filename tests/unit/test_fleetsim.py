"""The configurable fleet model, error codes, rollback observation, mutation counters and group
sizes: through the real connectors over real HTTP to the simulators; the fleet clock is advanced,
nothing waits."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from fleetgate.connectors.base import ConnectorConfig, IntentRef, RingGroup, Runtime, error_code
from fleetgate.connectors.errors import Permanent, SchemaMismatch
from fleetgate.connectors.registry import KINDS
from fleetsim.fleet import Fleet, GroupSpec
from fleetsim.groups import exit_status, hresult
from fleetsim.main import app as cli
from fleetsim.main import start_all
from fleetsim.planes import SIMULATORS
from fleetsim.server import Running, SimApp, start
from tests.fixtures.connectors.support import CANARY, INTENT, LAB, PLANES, artifact, connector_for
from tests.fixtures.connectors.support import serving as serving_live

CODES = {"1603": 0.5, "0x87D1041C": 0.3, "timeout": 0.2}
UNINSTALL = IntentRef("intent-1", "firefox-finance", "lab", action="uninstall")


@contextmanager
def serving(plane: str) -> Iterator[Running]:
    """A simulator whose fleet clock moves only when advanced (no real time leaks into outcomes)."""
    with serving_live(plane) as srv:
        srv.app.fleet.speed = 0.0
        yield srv


def failing(sim: SimApp, group: str = "FG-CANARY", **extra: Any) -> None:
    sim.fleet.configure_group(
        group, success_rate=0.0, error_codes=CODES, latency_s=60, not_applicable_rate=0.0, **extra
    )


# ---- the model ------------------------------------------------------------------------------


def test_configure_group_sets_exact_site_mix_and_offline_share() -> None:
    fleet = Fleet(seed=3)
    spec = fleet.configure_group(
        "FG-PILOT", size=200, site_mix={"online": 0.9, "intermittent": 0.1}, offline={"intermittent": 0.5}
    )
    devices = fleet.devices("FG-PILOT")
    assert spec.size == len(devices) == 200
    assert Counter(d.site_class for d in devices) == {"online": 180, "intermittent": 20}
    assert Counter((d.site_class, d.offline) for d in devices) == {
        ("online", False): 180,
        ("intermittent", True): 10,
        ("intermittent", False): 10,
    }
    # ids are stable for (seed, group, index): resizing keeps the existing devices
    fleet.configure_group("FG-PILOT", size=210)
    assert [d.id for d in fleet.devices("FG-PILOT")[:200]] == [d.id for d in devices]
    assert fleet.group_names().index("FG-PILOT") == 2, "a reconfigured group keeps its place"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"size": -1}, "size"),
        ({"success_rate": 1.5}, "success_rate"),
        ({"error_codes": {"boom": 1}}, "error_codes"),
        ({"error_codes": {"1603": 0}}, "must not all be 0"),
        ({"site_mix": {"moon": 1}}, "unknown key"),
        ({"latency_s": -3}, "latency_s"),
        ({"latency_median_s": 0}, "latency_median_s"),
        ({"colour": "red"}, "unknown option"),
        ({"site_class": "moon"}, "site_class"),
    ],
)
def test_configure_group_refuses_bad_options(options: dict[str, object], message: str) -> None:
    fleet = Fleet()
    before = fleet.spec("FG-LAB")
    with pytest.raises(ValueError, match=message):
        fleet.configure_group("FG-LAB", **options)
    assert fleet.spec("FG-LAB") is before
    with pytest.raises(ValueError, match="give its size"):
        fleet.configure_group("FG-NEW", success_rate=0.5)


def test_latency_is_fixed_or_lognormal_and_outcomes_are_pure() -> None:
    from fleetsim.fleet import Deployment

    fleet = Fleet(seed=9)
    fleet.configure_group("FG-LAB", latency_s=60)
    deployment = Deployment("k", "FG-LAB", "install", 0.0)
    lab = fleet.devices("FG-LAB")
    assert {fleet.report_delay(deployment, d) for d in lab} == {60.0}
    fleet.configure_group("FG-LAB", latency_median_s=100, latency_sigma=0.5)
    delays = sorted(fleet.report_delay(deployment, d) for d in fleet.devices("FG-LAB"))
    assert len(set(delays)) == len(delays)
    assert delays[0] < 100 < delays[-1]
    again = Fleet(seed=9)
    again.configure_group("FG-LAB", latency_median_s=100, latency_sigma=0.5)
    assert sorted(again.report_delay(deployment, d) for d in again.devices("FG-LAB")) == delays


def test_error_codes_round_trip_through_each_encoding() -> None:
    for code in ("1603", "0x87D1041C", "timeout", "2", "0x80004005"):
        assert error_code(hresult(code)) == code
        assert error_code(exit_status(code), "The task timed out." if code == "timeout" else "") == code
    assert hresult("1603") == 0x80070643 - 2**32
    assert error_code(0) == error_code(None) == ""
    assert error_code("0x87d1041c") == "0x87D1041C"
    assert error_code("not a number") == "not a number"


# ---- error codes and site classes through the connectors ------------------------------------


@pytest.mark.parametrize("plane", PLANES)
def test_observe_reports_each_failure_error_code(plane: str, tmp_path: Path) -> None:
    with serving(plane) as srv:
        sim, connector = srv.app, connector_for(srv.app)
        failing(sim)
        app = connector.publish(artifact(tmp_path), "k-publish")
        connector.assign(app, CANARY, INTENT, "k-assign")
        sim.advance(59)
        assert connector.observe(app, CANARY).pending == 30, "latency_s=60: nobody has reported yet"
        sim.advance(2)
        observed = connector.observe(app, CANARY)
        assert (observed.failed, observed.pending, observed.installed) == (30, 0, 0)
        details = Counter(d.detail for p in observed.detail_pages for d in p.devices)
        assert set(details) == set(CODES), details
        assert sum(details.values()) == 30


@pytest.mark.parametrize("plane", ["intune", "landscape"])
def test_observe_tells_each_device_site_class(plane: str, tmp_path: Path) -> None:
    with serving(plane) as srv:
        sim, connector = srv.app, connector_for(srv.app)
        failing(sim, site_mix={"online": 0.8, "intermittent": 0.2}, offline={"intermittent": 1.0})
        app = connector.publish(artifact(tmp_path), "k")
        connector.assign(app, CANARY, INTENT, "k2")
        sim.advance(365 * 86400)
        observed = connector.observe(app, CANARY)
        devices = [d for p in observed.detail_pages for d in p.devices]
        assert Counter((d.site_class, d.state) for d in devices) == {
            ("online", "failed"): 24,
            ("intermittent", "pending"): 6,  # offline: they never report
        }


# ---- rollback -------------------------------------------------------------------------------


@pytest.mark.parametrize("plane", PLANES)
def test_retire_and_reassign_shows_the_previous_version_installed(plane: str, tmp_path: Path) -> None:
    with serving(plane) as srv:
        sim, connector = srv.app, connector_for(srv.app)
        sim.fleet.configure_group("FG-LAB", success_rate=1.0, not_applicable_rate=0.0, latency_s=60)
        old = connector.publish(artifact(tmp_path, version="128.5.0"), "k-old")
        new = connector.publish(artifact(tmp_path, version="128.6.0"), "k-new")
        connector.assign(old, LAB, INTENT, "a-old")
        sim.advance(120)
        connector.assign(new, LAB, INTENT, "a-new")
        sim.advance(120)
        assert connector.observe(new, LAB).installed == 8
        connector.retire(new, LAB, "r-new")
        connector.assign(old, LAB, INTENT, "a-old-again")
        sim.advance(120)
        restored = connector.observe(old, LAB)
        assert (restored.installed, restored.pending, restored.failed, restored.action) == (8, 0, 0, "install")


@pytest.mark.parametrize("plane", PLANES)
@pytest.mark.parametrize(("rate", "expected"), [(1.0, (8, 0)), (0.0, (0, 8))])
def test_an_uninstall_assignment_is_observed_as_not_installed(
    plane: str, rate: float, expected: tuple[int, int], tmp_path: Path
) -> None:
    with serving(plane) as srv:
        sim, connector = srv.app, connector_for(srv.app)
        sim.fleet.configure_group(
            "FG-LAB", success_rate=1.0, uninstall_success_rate=rate, not_applicable_rate=0.0, latency_s=60
        )
        app = connector.publish(artifact(tmp_path), "k")
        connector.assign(app, LAB, INTENT, "a-install")
        sim.advance(120)
        connector.assign(app, LAB, UNINSTALL, "a-uninstall")
        sim.advance(30)
        assert connector.observe(app, LAB).pending == 8
        sim.advance(60)
        observed = connector.observe(app, LAB)
        assert observed.action == "uninstall"
        assert (observed.not_installed, observed.failed) == expected
        assert observed.total == 8
        if rate == 0.0:
            assert {d.detail for p in observed.detail_pages for d in p.devices} <= {"1603"}


# ---- counters -------------------------------------------------------------------------------


@pytest.mark.parametrize("plane", PLANES)
def test_every_mutation_is_counted_per_operation_object_and_marker(plane: str, tmp_path: Path) -> None:
    with serving(plane) as srv:
        sim, connector = srv.app, connector_for(srv.app)
        app = connector.publish(artifact(tmp_path), "k-publish")
        connector.assign(app, CANARY, INTENT, "k-assign")
        assert sim.counters.duplicates() == []
        assert sim.counters.count("assign") == 1
        if plane in ("intune", "sccm", "jamf"):
            assert sim.counters.count("publish", marker=connector.marker("k-publish")) == 1
        if plane in ("sccm", "jamf", "ansible"):
            assert sim.counters.by_marker(connector.marker("k-assign")) == {"assign": 1}
        connector.retire(app, CANARY, "k-retire")
        retired = {"intune": "uninstall", "sccm": "uninstall", "jamf": "disable"}.get(plane, "uninstall")
        assert sim.counters.count(retired) >= 1

        over_http = httpx.get(f"{srv.url}/_sim/counters").json()
        assert over_http["total"] == sim.counters.count() == len(over_http["entries"])
        assert over_http["by_operation"]["assign"] == 1
        if plane != "jamf":  # Jamf refuses a second policy of the same name (409, not counted)
            connector.assign(app, CANARY, INTENT, "k-assign")
            dupes = sim.counters.duplicates()
            assert [(d["operation"], d["count"]) for d in dupes] == [("assign", 2)], dupes
            assert httpx.get(f"{srv.url}/_sim/counters").json()["duplicates"] == dupes
        assert httpx.delete(f"{srv.url}/_sim/counters").status_code == 204
        assert sim.counters.count() == 0
        assert httpx.get(f"{srv.url}/_sim/counters").json()["total"] == 0


def test_refused_mutations_are_counted_apart(tmp_path: Path) -> None:
    with serving("jamf") as srv:
        connector = connector_for(srv.app)
        app = connector.publish(artifact(tmp_path), "k")
        connector.assign(app, CANARY, INTENT, "same")
        with pytest.raises(Exception, match="Duplicate"):
            connector.assign(app, CANARY, INTENT, "same")
        assert srv.app.counters.count("assign") == 1
        assert srv.app.counters.duplicates() == []


# ---- group membership and HTTP configuration ------------------------------------------------


@pytest.mark.parametrize("plane", PLANES)
def test_group_size_is_the_configured_device_count(plane: str) -> None:
    with serving(plane) as srv:
        connector = connector_for(srv.app)
        assert connector.group_size(CANARY) == 30
        response = httpx.post(f"{srv.url}/_sim/fleet/groups/FG-CANARY", json={"size": 13})
        assert response.status_code == 200
        assert response.json()["devices"] == 13
        assert connector.group_size(CANARY) == 13
        response = httpx.post(f"{srv.url}/_sim/fleet/groups/FG-RING9", json={"size": 21, "site_class": "intermittent"})
        assert response.status_code == 200
        assert connector.group_size(RingGroup("FG-RING9")) == 21


def test_http_configuration_reaches_every_simulator_sharing_the_fleet() -> None:
    handles = start_all(seed=4, planes=list(SIMULATORS))
    try:
        first = handles[0]
        bad = httpx.post(f"{first.url}/_sim/fleet/groups/FG-PILOT", json={"success_rate": 2})
        assert bad.status_code == 400
        assert "success_rate" in bad.json()["error"]
        assert httpx.post(f"{first.url}/_sim/fleet/groups/FG-PILOT", content=b"[1]").status_code == 400
        body = {"size": 77, "error_codes": {"1603": 1}, "site_mix": {"online": 1}}
        assert httpx.post(f"{first.url}/_sim/fleet/groups/FG-PILOT", json=body).status_code == 200
        for handle in handles:
            assert connector_for(handle.app).group_size(RingGroup("FG-PILOT")) == 77
            listed = httpx.get(f"{handle.url}/_sim/fleet/groups").json()["groups"]
            assert next(g for g in listed if g["name"] == "FG-PILOT")["error_codes"] == {"1603": 1.0}
        assert httpx.get(f"{first.url}/_sim/fleet/groups/FG-NOPE").status_code == 404
    finally:
        for handle in handles:
            handle.stop()


def test_fleet_file_configures_groups_and_is_validated(tmp_path: Path) -> None:
    config = {"groups": {"FG-LAB": {"size": 5, "success_rate": 0.5}, "FG-X": {"size": 3}}}
    handles = start_all(seed=1, planes=["sccm"], fleet_config=config)
    try:
        connector = connector_for(handles[0].app)
        assert (connector.group_size(LAB), connector.group_size(RingGroup("FG-X"))) == (5, 3)
    finally:
        handles[0].stop()
    bad = tmp_path / "fleet.json"
    bad.write_text(json.dumps({"groups": {"FG-LAB": {"size": 5, "latency_s": "soon"}}}))
    result = CliRunner().invoke(cli, ["serve", "--fleet-file", str(bad), "--port-base", "0"])
    assert result.exit_code != 0
    assert "latency_s" in result.output
    with pytest.raises(ValueError, match="configuration"):
        Fleet().configure({"groups": {}, "extra": 1})


def test_a_standalone_simulator_keeps_its_own_fleet() -> None:
    sim = SIMULATORS["ansible"](seed=2, fleet=Fleet(seed=2, groups=(GroupSpec("FG-LAB", 4),)))
    handle = start(sim)
    try:
        assert connector_for(sim).group_size(LAB) == 4
    finally:
        handle.stop()


@pytest.mark.parametrize(
    ("kind", "body", "error"),
    [
        ("intune", "many", SchemaMismatch),
        ("jamf", "<computer_group><id>1</id></computer_group>", SchemaMismatch),
        ("sccm", '{"value": []}', Permanent),
    ],
)
def test_group_size_refuses_an_answer_it_cannot_read(kind: str, body: str, error: type[Exception]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "token" in request.url.path:
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        return httpx.Response(200, text=body)

    settings = {"tenant_id": "t", "client_id": "c", "username": "u"}
    config = ConnectorConfig(kind=kind, base_url="http://plane.invalid", settings=settings, max_attempts=1)
    connector = KINDS[kind](config, Runtime(transport=httpx.MockTransport(handler)))
    with pytest.raises(error):
        connector.group_size(RingGroup("FG-LAB", external_id="g1" if kind == "intune" else ""))
