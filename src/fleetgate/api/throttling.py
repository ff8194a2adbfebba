"""Request throttles. Every one identifies a client the same way and counts in the same place:

- the client address believes X-Forwarded-For only when the request came through a proxy listed in
  FLEETGATE_TRUSTED_PROXIES (`core.clientip`); DRF's own `get_ident` takes the header from anybody
  while NUM_PROXIES is unset, so rotating the header would give a client a fresh allowance each time;
- counts live in the shared cache (Redis, else the database cache), so every gunicorn worker sees one
  count per client instead of one per process.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import caches
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


class AnonThrottle(ClientAddress, AnonRateThrottle):
    """Requests without credentials, per client address (rate FLEETGATE_THROTTLE_ANON)."""


class UserThrottle(ClientAddress, UserRateThrottle):
    """Per signed-in user, else per client address (rate FLEETGATE_THROTTLE_USER)."""


class LoginThrottle(ClientAddress, ScopedRateThrottle):
    """Sign-in attempts per client address (a view's `throttle_scope = "login"`): slows password guessing."""
