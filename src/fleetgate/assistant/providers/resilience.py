"""Timeouts are the SDK clients' own; retries live here only (the SDKs' are switched off), honouring
Retry-After; a circuit breaker per provider configuration, the connectors' breaker."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from fleetgate.assistant.providers.base import ProviderRejected, ProviderUnavailable
from fleetgate.connectors.breaker import CircuitBreaker
from fleetgate.connectors.errors import CircuitOpen

T = TypeVar("T")
MAX_WAIT_S = 60.0
BREAKER_THRESHOLD = 5
BREAKER_RESET_S = 60.0
sleep: Callable[[float], None] = time.sleep  # tests replace it (no real waiting)
_breakers: dict[str, CircuitBreaker] = {}


def breaker(key: str) -> CircuitBreaker:
    if key not in _breakers:
        _breakers[key] = CircuitBreaker(threshold=BREAKER_THRESHOLD, reset_after=BREAKER_RESET_S)
    return _breakers[key]


def reset_breakers() -> None:
    _breakers.clear()


def classify(exc: Exception) -> Exception:
    """An SDK error (OpenAI's or Anthropic's, same shapes) as ProviderUnavailable or ProviderRejected."""
    if isinstance(exc, ProviderUnavailable | ProviderRejected):
        return exc
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    headers: Any = getattr(response, "headers", {}) or {}
    if name in ("APITimeoutError", "APIConnectionError") or (
        status is not None and (status >= 500 or status in (408, 409, 429))
    ):
        retry_after = _retry_after(headers.get("retry-after"))
        return ProviderUnavailable(
            f"Provider answered {status or name}: {_message(exc)}", retry_after=retry_after, upstream_status=status
        )
    if status is not None:
        return ProviderRejected(f"Provider refused the request ({status}): {_message(exc)}", upstream_status=status)
    return exc


def _message(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
    return str(exc)[:300]


def _retry_after(value: Any) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    hinted = getattr(exc, "retry_after", None)
    if hinted is not None:
        return min(float(hinted), MAX_WAIT_S)
    return min(0.5 * 2 ** (state.attempt_number - 1), MAX_WAIT_S)


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, ProviderUnavailable) and not exc.extra.get("circuit_open", False)


def call(key: str, fn: Callable[[], T], *, retries: int) -> T:
    cb = breaker(key)

    def attempt() -> T:
        try:
            cb.before_call()
        except CircuitOpen as exc:
            raise ProviderUnavailable(str(exc), retry_after=exc.retry_after, circuit_open=True) from None
        try:
            result = fn()
        except Exception as exc:
            mapped = classify(exc)
            if isinstance(mapped, ProviderUnavailable):
                cb.record_failure()
            if mapped is exc:
                raise
            raise mapped from exc
        cb.record_success()
        return result

    retrying = Retrying(
        stop=stop_after_attempt(retries + 1),
        retry=retry_if_exception(_retryable),
        wait=_wait,
        sleep=lambda seconds: sleep(seconds),
        reraise=True,
    )
    return retrying(attempt)
