"""A circuit breaker per connector instance.

closed → open after `threshold` consecutive transient failures; open → half-open once `reset_after`
seconds have passed (one trial call); a success closes it, a failure opens it again. The state is
a small value object so the service layer can persist it and show it in the API and metrics.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from fleetgate.connectors.errors import CircuitOpen

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


@dataclass(frozen=True)
class BreakerState:
    state: str = CLOSED
    failures: int = 0
    opened_at: float | None = None


class CircuitBreaker:
    def __init__(
        self,
        *,
        threshold: int = 5,
        reset_after: float = 60.0,
        clock: Callable[[], float] = time.time,
        state: BreakerState | None = None,
        on_change: Callable[[BreakerState], None] | None = None,
    ) -> None:
        self.threshold, self.reset_after, self.clock = threshold, reset_after, clock
        self._state = state or BreakerState()
        self.on_change = on_change

    @property
    def state(self) -> BreakerState:
        current = self._state
        if (
            current.state == OPEN
            and current.opened_at is not None
            and self.clock() - current.opened_at >= self.reset_after
        ):
            return BreakerState(HALF_OPEN, current.failures, current.opened_at)
        return current

    def _set(self, new: BreakerState) -> None:
        changed = new.state != self._state.state
        self._state = new
        if changed and self.on_change:
            self.on_change(new)

    def before_call(self) -> None:
        current = self.state
        if current.state == OPEN:
            wait = self.reset_after - (self.clock() - (current.opened_at or 0.0))
            raise CircuitOpen(
                f"circuit open after {current.failures} consecutive transient failures; "
                f"next trial in {max(0.0, wait):.0f} s",
                retry_after=max(0.0, wait),
            )
        if current.state == HALF_OPEN and self._state.state == OPEN:
            self._set(current)

    def record_success(self) -> None:
        if self._state != BreakerState():
            self._set(BreakerState())

    def record_failure(self) -> None:
        failures = self._state.failures + 1
        if self._state.state == HALF_OPEN or failures >= self.threshold:
            self._set(BreakerState(OPEN, failures, self.clock()))
        else:
            self._set(BreakerState(self._state.state, failures, self._state.opened_at))
