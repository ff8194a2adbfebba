"""A reconciliation pass (and an engine tick) reuses one connector client per connector instance:
one sign-in for the run, the breaker still persisted after every call, a changed instance rebuilt."""

from __future__ import annotations

from typing import Any

import pytest

from fleetgate.connectors import services
from fleetgate.connectors.base import RingGroup, Runtime
from fleetgate.connectors.models import ConnectorInstance
from fleetgate.core.errors import PlaneUnavailable
from fleetgate.core.roles import Role
from fleetsim.planes import connection
from tests.factories import World
from tests.fixtures.connectors.support import FakeClock, Sleeps, serving

LAB = RingGroup(name="FG-LAB", ring="lab")


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "runtime_factory", lambda: Runtime(sleep=Sleeps(), clock=FakeClock()))


def _register(world: World, srv: Any) -> ConnectorInstance:
    data = {**connection(srv.app), "name": f"plane-{srv.app.plane}"}
    return services.create(actor=world.actors[Role.PLATFORM_ADMIN], data=data)


def _sign_ins(srv: Any) -> int:
    return sum(1 for method, path in srv.app.requests if method == "POST" and "oauth2" in path)


def test_a_session_signs_in_once_and_outside_it_every_call_does(world: World) -> None:
    with serving("intune") as srv:
        connector = _register(world, srv)
        for _ in range(3):
            services.inventory(actor=services.RUNNER, connector_id=connector.pk, group=LAB)
        assert _sign_ins(srv) == 3  # a connector built (and signed in) per call
        with services.session():
            for _ in range(3):
                services.inventory(actor=services.RUNNER, connector_id=connector.pk, group=LAB)
            with services.session():  # nested: still the outer session's client
                services.inventory(actor=services.RUNNER, connector_id=connector.pk, group=LAB)
        assert _sign_ins(srv) == 4
        admin = world.actors[Role.PLATFORM_ADMIN]
        with services.session():
            services.inventory(actor=services.RUNNER, connector_id=connector.pk, group=LAB)
            services.update(
                actor=admin, connector_id=connector.pk, changes={"settings": {**connector.settings}}, expected_etag=None
            )
            services.inventory(actor=services.RUNNER, connector_id=connector.pk, group=LAB)  # a new revision: rebuilt
        assert _sign_ins(srv) == 6


def test_the_breaker_opens_within_a_session_and_is_persisted(world: World) -> None:
    with serving("sccm") as srv:
        connector = _register(world, srv)
        srv.app.faults.add("unavailable", times=-1)
        with services.session():
            with pytest.raises(PlaneUnavailable):
                services.inventory(actor=services.RUNNER, connector_id=connector.pk, group=LAB)
            row = ConnectorInstance.objects.get(pk=connector.pk)
            assert (row.circuit_state, row.circuit_failures) == ("open", 5)
            calls = len(srv.app.requests)
            with pytest.raises(PlaneUnavailable, match="circuit open"):
                services.inventory(actor=services.RUNNER, connector_id=connector.pk, group=LAB)
            assert len(srv.app.requests) == calls  # the rest of the pass leaves the plane alone
