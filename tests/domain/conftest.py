"""Fixtures of the scenario tests that drive the engine and reconciliation against the simulators."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fleetgate.connectors import services as connectors
from fleetgate.connectors.base import Runtime
from fleetgate.rollouts import clock as clocks
from tests.fixtures.connectors.support import FakeClock, Sleeps


@pytest.fixture
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plane calls retry and back off on a fake clock: no test sleeps for a connector."""
    monkeypatch.setattr(connectors, "runtime_factory", lambda: Runtime(sleep=Sleeps(), clock=FakeClock()))


@pytest.fixture
def clock() -> Iterator[clocks.FrozenClock]:
    """The engine's injected clock, frozen; tests advance it."""
    frozen = clocks.FrozenClock()
    with clocks.using(frozen):
        yield frozen
