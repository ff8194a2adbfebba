"""Every API throttle names a client by the address `core.clientip` reads (X-Forwarded-For only from a
trusted proxy) and counts in the shared cache every worker sees."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from fleetgate.api import throttling
from fleetgate.core import clientip
from tests.redis_dbs import THROTTLING, redis_url

SESSION = "/api/v1/auth/session/"  # open to anonymous callers: the anonymous throttle applies


@pytest.fixture
def anon_limit(db: Any, monkeypatch: Any) -> Any:
    caches["shared"].clear()
    monkeypatch.setattr(AnonRateThrottle, "rate", "3/min", raising=False)
    yield
    caches["shared"].clear()


def test_a_rotating_forwarded_for_from_an_untrusted_peer_is_one_client(anon_limit: Any) -> None:
    client = APIClient()
    codes = [client.get(SESSION, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    refused = client.get(SESSION, HTTP_X_FORWARDED_FOR="198.51.100.77")
    assert refused["Content-Type"].startswith("application/problem+json")
    assert refused.json()["code"] == "rate-limited"
    assert int(refused["Retry-After"]) > 0


def test_through_a_trusted_proxy_the_forwarded_address_counts(anon_limit: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(AnonRateThrottle, "rate", "1/min", raising=False)
    monkeypatch.setattr(throttling, "TRUSTED_PROXIES", clientip.networks(["10.0.0.0/8"]))
    proxy: dict[str, Any] = {"REMOTE_ADDR": "10.0.0.5"}
    client = APIClient()
    assert client.get(SESSION, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy).status_code == 200
    assert client.get(SESSION, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy).status_code == 200  # another client
    # a hop the client wrote left of the one the proxy appended does not make it a new client
    assert client.get(SESSION, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1", **proxy).status_code == 429
    # the counts live in the database cache every worker shares, not in one process's memory
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM fleetgate_cache WHERE cache_key LIKE %s", ["%throttle_anon%"])
        assert cursor.fetchone()[0] == 2


REDIS_URL = redis_url(THROTTLING)  # this module's own Redis database


def _use_backend(settings: Any, backend: str) -> None:
    if backend == "redis":
        redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        settings.CACHES = {"default": redis, "shared": {**redis, "KEY_PREFIX": "shared"}}
    caches["shared"].clear()


def _stored_counts(backend: str) -> list[Any]:
    """Every value the anonymous throttle keeps for its clients, read back through the shared cache."""
    cache = caches["shared"]
    if backend == "redis":
        raw = cache._cache.get_client(write=False).keys("*throttle_anon*")
        return [cache.get(key.decode().split(":", 2)[2]) for key in raw]  # "shared:1:<key>"
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM fleetgate_cache WHERE cache_key LIKE %s", ["%throttle_anon%"])
        return [cache.get(row[0].split(":", 2)[2]) for row in cursor.fetchall()]  # ":1:<key>"


class _Anonymous:
    """The little of a DRF request an anonymous throttle reads."""

    user = None

    def __init__(self, address: str) -> None:
        self.META = {"REMOTE_ADDR": address}


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_a_request_updates_one_counter_not_a_list_of_timestamps(
    db: Any, settings: Any, monkeypatch: Any, backend: str
) -> None:
    """Issue 16: DRF's throttle re-pickled every client's whole request history on every request."""
    _use_backend(settings, backend)
    monkeypatch.setattr(AnonRateThrottle, "rate", "1000/min", raising=False)
    client = APIClient()
    assert {client.get(SESSION).status_code for _ in range(30)} == {200}
    assert _stored_counts(backend) == [30]  # one integer for this client and window
    caches["shared"].clear()


def test_on_redis_concurrent_requests_never_overrun_the_limit(db: Any, settings: Any) -> None:
    """INCR is atomic: 40 requests at once from one client against 10/min admit exactly 10."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    _use_backend(settings, "redis")
    start = Barrier(40)

    def one(_: int) -> bool:
        throttle = throttling.AnonThrottle()
        throttle.rate, throttle.num_requests, throttle.duration = "10/min", 10, 60
        start.wait(timeout=30)
        return bool(throttle.allow_request(_Anonymous("192.0.2.9"), None))  # type: ignore[arg-type]

    with ThreadPoolExecutor(40) as pool:
        admitted = list(pool.map(one, range(40)))
    assert admitted.count(True) == 10
    assert _stored_counts("redis") == [10]  # the 30 refused were given back
    caches["shared"].clear()


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_the_previous_window_still_counts_across_its_edge(
    db: Any, settings: Any, monkeypatch: Any, backend: str
) -> None:
    """4/min: a burst at the end of one minute is not followed by a fresh burst at the start of the next."""
    _use_backend(settings, backend)
    clock = {"now": 6_000_000 * 60 + 59.0}  # one second before a window edge
    monkeypatch.setattr(throttling.AnonThrottle, "timer", lambda self: clock["now"])

    def attempt() -> tuple[bool, float | None]:
        throttle = throttling.AnonThrottle()
        throttle.rate, throttle.num_requests, throttle.duration = "4/min", 4, 60
        allowed = throttle.allow_request(_Anonymous("192.0.2.10"), None)  # type: ignore[arg-type]
        return allowed, None if allowed else throttle.wait()

    assert [attempt()[0] for _ in range(4)] == [True] * 4
    assert attempt() == (False, 16.0)  # 1 s to the edge, then 15 s while this window's 4 fade to 3
    clock["now"] += 2  # 1 s into the next window: 4 x 59/60 + 1 > 4
    allowed, retry_after = attempt()
    assert not allowed
    assert retry_after == 14.0  # at 15 s in, 4 x 45/60 + 1 = 4 fits
    clock["now"] += 14
    assert attempt()[0] is True
    caches["shared"].clear()
