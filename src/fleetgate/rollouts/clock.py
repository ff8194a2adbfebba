"""The rollout engine's clock: injected in tests, scaled only in the demo.

Timestamps stay real; what the demo scales is *elapsed* time as gates read it (soak, time to
compliance). ``FLEETGATE_DEMO_TIME_SCALE`` is honoured only when `fleetgate up --demo` sets
``settings.FLEETGATE_DEMO`` too, so production never scales time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone


@dataclass
class Clock:
    now_fn: Callable[[], datetime] = field(default=timezone.now)
    scale: float = 1.0

    def now(self) -> datetime:
        return self.now_fn()

    def elapsed(self, since: datetime | None, at: datetime | None = None) -> timedelta:
        """Policy time passed since `since` (scaled in the demo)."""
        if since is None:
            return timedelta(0)
        return ((at or self.now()) - since) * self.scale

    def when(self, since: datetime, policy_time: timedelta) -> datetime:
        """The real moment at which `policy_time` will have passed since `since`."""
        return since + policy_time / self.scale


class FrozenClock(Clock):
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self._at = start or timezone.now()
        super().__init__(now_fn=lambda: self._at, scale=1.0)

    def advance(self, **delta: float) -> datetime:
        self._at += timedelta(**delta)
        return self._at


_override: Clock | None = None


def current() -> Clock:
    if _override is not None:
        return _override
    scale = (
        float(getattr(settings, "FLEETGATE_DEMO_TIME_SCALE", 1.0))
        if getattr(settings, "FLEETGATE_DEMO", False)
        else 1.0
    )
    return Clock(scale=scale)


def demo_scale() -> float:
    return current().scale


@contextmanager
def using(clock: Clock) -> Iterator[Clock]:
    global _override
    previous, _override = _override, clock
    try:
        yield clock
    finally:
        _override = previous
