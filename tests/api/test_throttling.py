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
