"""The connector framework without a plane: error classification, backoff, circuit breaker, dry run."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
from tenacity import RetryCallState

from fleetgate.connectors.base import BackoffWithRetryAfter, ConnectorConfig, DeviceStatus, Runtime, Tally
from fleetgate.connectors.breaker import CLOSED, HALF_OPEN, OPEN, BreakerState, CircuitBreaker
from fleetgate.connectors.errors import (
    CircuitOpen,
    Permanent,
    PolicyViolation,
    SchemaMismatch,
    Transient,
    classify,
    parse_retry_after,
)
from fleetgate.connectors.jamf import JamfConnector
from tests.fixtures.connectors.support import FakeClock, Sleeps


def response(status: int, headers: dict[str, str] | None = None, body: str = "x") -> httpx.Response:
    return httpx.Response(status, headers=headers, text=body, request=httpx.Request("POST", "https://plane/api/x"))


@pytest.mark.parametrize("status", [408, 423, 425, 429, 500, 502, 503, 504, 599])
def test_transient_statuses(status: int) -> None:
    assert isinstance(classify(response(status)), Transient)


@pytest.mark.parametrize("status", [400, 401, 404, 405, 409, 410, 422])
def test_permanent_statuses(status: int) -> None:
    error = classify(response(status, body='{"error": "nope"}'), plane="jamf")
    assert isinstance(error, Permanent)
    assert error.status == status
    assert "jamf POST /api/x answered" in error.message


def test_forbidden_is_a_policy_violation() -> None:
    assert isinstance(classify(response(403)), PolicyViolation)


def test_success_is_not_an_error() -> None:
    assert classify(response(201)) is None


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=lambda: 1445412480.0) == 10.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    error = classify(response(429, {"Retry-After": "12"}))
    assert isinstance(error, Transient)
    assert error.retry_after == 12.0


def _state(attempt: int, exc: BaseException) -> RetryCallState:
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = attempt
    state.set_exception((type(exc), exc, None))
    return state


def test_backoff_is_exponential_with_jitter_and_capped() -> None:
    wait = BackoffWithRetryAfter(rng=random.Random(1))
    for attempt, ceiling in [(1, 2), (2, 4), (3, 8), (4, 16), (5, 32), (6, 60), (9, 60)]:
        value = wait(_state(attempt, Transient("x")))
        assert ceiling / 2 <= value <= ceiling


def test_backoff_honours_retry_after_up_to_the_cap() -> None:
    wait = BackoffWithRetryAfter()
    assert wait(_state(1, Transient("x", retry_after=9))) == 9
    assert wait(_state(1, Transient("x", retry_after=600))) == 60


def test_breaker_opens_after_five_then_half_opens_after_sixty_seconds() -> None:
    clock = FakeClock()
    changes: list[str] = []
    breaker = CircuitBreaker(clock=clock, on_change=lambda s: changes.append(s.state))
    for _ in range(4):
        breaker.record_failure()
        breaker.before_call()
    assert breaker.state.state == CLOSED
    breaker.record_failure()
    assert breaker.state.state == OPEN
    with pytest.raises(CircuitOpen) as caught:
        breaker.before_call()
    assert caught.value.retry_after == 60
    clock.now += 59
    assert breaker.state.state == OPEN
    clock.now += 1
    assert breaker.state.state == HALF_OPEN
    breaker.before_call()  # the one trial call
    breaker.record_failure()  # fails: open again, for another 60 s
    assert breaker.state.state == OPEN
    clock.now += 60
    breaker.before_call()
    breaker.record_success()
    assert breaker.state == BreakerState()
    assert changes == [OPEN, HALF_OPEN, OPEN, HALF_OPEN, CLOSED]


def test_a_success_resets_the_count() -> None:
    breaker = CircuitBreaker(clock=FakeClock())
    for _ in range(4):
        breaker.record_failure()
    breaker.record_success()
    for _ in range(4):
        breaker.record_failure()
    assert breaker.state.state == CLOSED


def _jamf(handler: Any, dry_run: bool = False, attempts: int = 5) -> tuple[JamfConnector, Sleeps]:
    sleeps = Sleeps()
    config = ConnectorConfig(
        kind="jamf",
        base_url="https://jamf.example",
        settings={"client_id": "c"},
        secrets={"client_secret": "s"},
        dry_run=dry_run,
        max_attempts=attempts,
    )
    clock = FakeClock()
    runtime = Runtime(
        sleep=sleeps, clock=clock, breaker=CircuitBreaker(clock=clock), transport=httpx.MockTransport(handler)
    )
    return JamfConnector(config, runtime), sleeps


def _token_then(status: int, body: str = "{}", headers: dict[str, str] | None = None) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 1199})
        return httpx.Response(status, text=body, headers=headers)

    return handler


def test_403_blocks_without_retrying() -> None:
    connector, sleeps = _jamf(_token_then(403, '{"httpStatus":403}'))
    with pytest.raises(PolicyViolation):
        connector.check()
    assert sleeps.waits == []


def test_exhausted_retries_raise_the_transient_error() -> None:
    connector, sleeps = _jamf(_token_then(503), attempts=3)
    with pytest.raises(Transient):
        connector.check()
    assert len(sleeps.waits) == 2


def test_a_response_of_the_wrong_shape_is_a_schema_mismatch() -> None:
    connector, _ = _jamf(_token_then(200, "<html>not json</html>"))
    with pytest.raises(SchemaMismatch):
        connector.check()
    connector, _ = _jamf(_token_then(200, '{"unexpected": 1}'))
    with pytest.raises(SchemaMismatch):
        connector.check()


def test_connection_errors_are_transient() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    connector, sleeps = _jamf(refuse, attempts=2)
    with pytest.raises(Transient, match="cannot connect"):
        connector.check()
    assert len(sleeps.waits) == 1


def test_dry_run_records_exact_requests_and_redacts_secrets() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json={"access_token": "t", "expires_in": 1199})

    connector, _ = _jamf(handler, dry_run=True)
    connector.fetch_token()  # authentication is sent even in dry run
    connector.request("POST", "/api/v1/packages", json_body={"packageName": "x"}, dry={"id": "0"}, dry_status=201)
    assert seen == ["/api/v1/oauth/token"]
    token, post = connector.recorded
    assert token.sent
    assert "client_secret=%2A%2A%2A" in token.body
    assert not post.sent
    assert post.method == "POST"
    assert post.url == "https://jamf.example/api/v1/packages"
    assert post.body == '{"packageName": "x"}'
    assert post.headers["Authorization"] == "***"


def test_tally_keeps_counts_and_caps_detail() -> None:
    tally = Tally(page_size=2, detail_cap=3)
    for i, state in enumerate(["installed", "failed", "pending", "pending", "not_applicable"]):
        tally.add(DeviceStatus(str(i), f"d{i}", state))
    result = tally.result()
    assert (result.installed, result.failed, result.pending, result.not_applicable, result.total) == (1, 1, 2, 1, 5)
    assert [len(p.devices) for p in result.detail_pages] == [2, 1]
