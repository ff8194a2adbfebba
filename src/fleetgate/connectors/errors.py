"""Typed connector errors and the classification of plane responses into them.

Transient → the retry layer retries it (and the breaker counts it); Permanent → fail fast;
PolicyViolation → block the change and notify a person.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable

import httpx


class ConnectorError(Exception):
    kind = "error"

    def __init__(self, message: str, *, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body[:2000]


class Transient(ConnectorError):
    """Retry later: timeouts, 408, 429, 5xx, Jamf 423."""

    kind = "transient"

    def __init__(self, message: str, *, status: int | None = None, body: str = "", retry_after: float | None = None):
        super().__init__(message, status=status, body=body)
        self.retry_after = retry_after


class Permanent(ConnectorError):
    """Fail fast: 400, 401, 404, 409, 422, schema mismatch."""

    kind = "permanent"


class SchemaMismatch(Permanent):
    kind = "permanent"


class PolicyViolation(ConnectorError):
    """The plane refused on policy or scope (403): block the change and notify a person."""

    kind = "policy"


TRANSIENT_STATUSES = frozenset({408, 423, 425, 429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now())


def classify(response: httpx.Response, *, plane: str = "") -> ConnectorError | None:
    """Map an HTTP response to a typed error (None: success)."""
    status = response.status_code
    if status < 400:
        return None
    body = response.text[:2000]
    where = f"{plane} {response.request.method} {response.request.url.path}" if plane else "request"
    message = f"{where} answered {status}: {_summary(body)}"
    if status in TRANSIENT_STATUSES or status >= 500:
        return Transient(
            message, status=status, body=body, retry_after=parse_retry_after(response.headers.get("Retry-After"))
        )
    if status == 403:
        return PolicyViolation(message, status=status, body=body)
    return Permanent(message, status=status, body=body)


def _summary(body: str) -> str:
    text = " ".join(body.split())
    return text[:300] or "(empty body)"


class CircuitOpen(Transient):
    """The breaker refuses calls for now; the caller retries later (the retry layer does not)."""
