"""Request throttles. Every one identifies a client the same way and counts in the same place:

- the client address believes X-Forwarded-For only when the request came through a proxy listed in
  FLEETGATE_TRUSTED_PROXIES (`core.clientip`); DRF's own `get_ident` takes the header from anybody
  while NUM_PROXIES is unset, so rotating the header would give a client a fresh allowance each time;
- counts live in the shared cache (Redis, else the database cache), so every gunicorn worker sees one
  count per client instead of one per process;
- the count is a sliding-window counter, not DRF's list of timestamps. DRF's SimpleRateThrottle reads,
  trims, re-pickles and writes back every request's history per request: at the default 6000/min a busy
  client's list holds thousands of floats, pickled and sent to the cache on every call (issue 16: 6-12 %
  of a request). Here each client has one integer per window of the rate's period, and a request is
  admitted while `previous window x (1 - fraction of this window elapsed) + this window <= limit`
  (the estimate Cloudflare's and most INCR-based limiters use; an allowance never doubles across a
  window edge as a fixed window's would). On Redis that is one round trip, atomic across workers and
  machines: INCR and EXPIRE this window's key, GET the previous one (a refused request is given back
  with DECR, so refusals use up no allowance, as in DRF). Other caches (the database cache of a SQLite
  installation) read both counters in one query and write the new count only when admitted, a
  read-modify-write like DRF's own, so concurrent workers may undercount there as they did before.
"""

from __future__ import annotations

import math
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle

from fleetgate.config import settings as cfg
from fleetgate.core import clientip

SHARED_CACHE = "shared"  # settings.CACHES: what every worker counts together
TRUSTED_PROXIES = clientip.networks(cfg.trusted_proxies)


class ClientAddress:
    """Mixed into DRF's throttles: the shared cache, and the client address as `core.clientip` reads it."""

    @property
    def cache(self) -> Any:  # looked up per request: tests and reconfiguration swap CACHES
        return caches[SHARED_CACHE]

    @cache.setter
    def cache(self, value: Any) -> None:
        raise AttributeError("Throttles count in settings.CACHES['shared']; configure it there.")

    def get_ident(self, request: Request) -> str:
        return clientip.client_ip(request.META, TRUSTED_PROXIES)

    # DRF's SimpleRateThrottle API (rate, num_requests, duration, key, timer, get_cache_key) with the
    # sliding-window counter of the module docstring in place of its timestamp history.
    rate: str | None
    num_requests: int
    duration: int
    key: str | None
    timer: Any

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if self.key is None:
            return True
        now = self.timer()
        index, into = divmod(now, self.duration)
        self.elapsed = into / self.duration
        current_key, previous_key = f"{self.key}:{int(index)}", f"{self.key}:{int(index) - 1}"
        cache, ttl = self.cache, 2 * self.duration  # the previous window is read for one period more
        if isinstance(cache, RedisCache):
            self.previous, self.current = _redis_count(cache, current_key, previous_key, ttl)
            if self._fits(self.current):
                return True
            _redis_give_back(cache, current_key)
            self.current -= 1
            return False
        counts = cache.get_many([current_key, previous_key])
        self.previous, self.current = int(counts.get(previous_key) or 0), int(counts.get(current_key) or 0)
        if not self._fits(self.current + 1):
            return False
        self.current += 1
        cache.set(current_key, self.current, ttl)
        return True

    def _fits(self, current: int) -> bool:
        return self.previous * (1 - self.elapsed) + current <= self.num_requests

    def wait(self) -> float | None:
        """Whole seconds until one more request fits (Retry-After), after a refusal."""
        room = self.num_requests - 1 - self.current  # requests this window may still take
        if self.previous and room >= 0:  # later in this window, as the previous one's weight fades
            fraction = 1 - room / self.previous
            return _seconds((fraction - self.elapsed) * self.duration)
        until_next = (1 - self.elapsed) * self.duration
        if self.current <= self.num_requests - 1:
            return _seconds(until_next)
        # in the next window this one's count weighs (1 - f): wait until it has faded enough
        fraction = 1 - (self.num_requests - 1) / self.current
        return _seconds(until_next + fraction * self.duration)


def _seconds(wait: float) -> float:
    return float(max(1, math.ceil(round(wait, 6))))  # whole seconds, never 0, no float noise above


def _redis_count(cache: RedisCache, current_key: str, previous_key: str, ttl: int) -> tuple[int, int]:
    """(previous window's count, this window's count with this request), in one round trip."""
    current, previous = cache.make_and_validate_key(current_key), cache.make_and_validate_key(previous_key)
    pipe = cache._cache.get_client(current, write=True).pipeline(transaction=False)  # type: ignore[attr-defined]
    pipe.incr(current)
    pipe.expire(current, ttl)
    pipe.get(previous)
    counted, _, before = pipe.execute()
    return int(before or 0), int(counted)


def _redis_give_back(cache: RedisCache, current_key: str) -> None:
    key = cache.make_and_validate_key(current_key)
    cache._cache.get_client(key, write=True).decr(key)  # type: ignore[attr-defined]


class AnonThrottle(ClientAddress, AnonRateThrottle):
    """Requests without credentials, per client address (rate FLEETGATE_THROTTLE_ANON)."""


class UserThrottle(ClientAddress, UserRateThrottle):
    """Per signed-in user, else per client address (rate FLEETGATE_THROTTLE_USER)."""


class LoginThrottle(ClientAddress, ScopedRateThrottle):
    """Sign-in attempts per client address (a view's `throttle_scope = "login"`): slows password guessing."""

    def allow_request(self, request: Request, view: Any) -> bool:
        # ScopedRateThrottle's own first step (the rate named by the view's scope), then the counter;
        # ClientAddress comes first in the MRO, so DRF's version of this method would never run.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)  # type: ignore[assignment]
        return super().allow_request(request, view)
