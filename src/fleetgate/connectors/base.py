"""The connector protocol every execution plane implements, and the one shared HTTP framework.

Inputs and outputs are plain frozen dataclasses (`data.py`, re-exported here): no ORM object
crosses this boundary, so every connector runs and is tested without a database. The framework
gives each plane:

- typed errors: Transient (retry), Permanent (fail fast), PolicyViolation (block and notify);
- ONE retry layer (tenacity): exponential backoff with jitter, base 2 s, cap 60 s, honouring
  ``Retry-After``; the sleep is injectable so tests never wait;
- a circuit breaker per connector instance (see ``breaker.py``);
- dry-run mode, which records the exact requests it would send and answers them locally;
- httpx with explicit timeouts.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base

from fleetgate.connectors.breaker import CircuitBreaker
from fleetgate.connectors.data import (
    DONE_STATES,
    STATES,
    AppRef,
    Artifact,
    CheckResult,
    DevicePage,
    DeviceStatus,
    IntentRef,
    InventoryItem,
    ObserveResult,
    OperationResult,
    PlaneGroup,
    RecordedRequest,
    RingGroup,
    Tally,
    error_code,
)
from fleetgate.connectors.errors import (
    CircuitOpen,
    ConnectorError,
    Permanent,
    PolicyViolation,
    SchemaMismatch,
    Transient,
    classify,
    parse_retry_after,
)

__all__ = [
    "DONE_STATES",
    "STATES",
    "AppRef",
    "Artifact",
    "CheckResult",
    "CircuitOpen",
    "ConnectorError",
    "DevicePage",
    "DeviceStatus",
    "IntentRef",
    "InventoryItem",
    "ObserveResult",
    "OperationResult",
    "Permanent",
    "PlaneGroup",
    "PolicyViolation",
    "RecordedRequest",
    "RingGroup",
    "SchemaMismatch",
    "Tally",
    "Transient",
    "classify",
    "error_code",
    "parse_retry_after",
]

# --------------------------------------------------------------------------------------------
# The one retry layer


class BackoffWithRetryAfter(wait_base):
    """Exponential backoff with full jitter (base, cap); a server's Retry-After wins when given."""

    def __init__(self, base: float = 2.0, cap: float = 60.0, rng: random.Random | None = None) -> None:
        self.base, self.cap, self.rng = base, cap, rng or random.Random()

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, Transient) and exc.retry_after is not None:
            return float(min(exc.retry_after, self.cap))
        ceiling = min(self.cap, self.base * 2 ** (retry_state.attempt_number - 1))
        return float(self.rng.uniform(ceiling / 2, ceiling))


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, Transient) and not isinstance(exc, CircuitOpen)


# --------------------------------------------------------------------------------------------
# Configuration and runtime


@dataclass(frozen=True)
class ConnectorConfig:
    kind: str
    base_url: str
    settings: Mapping[str, Any] = field(default_factory=dict)  # non-secret auth/plane settings
    secrets: Mapping[str, str] = field(default_factory=dict)  # decrypted only in memory
    dry_run: bool = False
    name: str = ""
    timeout: float = 30.0
    connect_timeout: float = 5.0
    max_attempts: int = 5
    page_size: int = 100


@dataclass
class Runtime:
    """What tests inject: the sleep, the clock, the RNG, the breaker, the HTTP transport."""

    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    rng: random.Random = field(default_factory=random.Random)
    breaker: CircuitBreaker | None = None
    transport: httpx.BaseTransport | None = None
    on_attempt: Callable[[str, str], None] | None = None  # (kind, outcome) for metrics


REDACT = {"authorization", "x-api-key", "cookie"}
SECRET_FORM_FIELDS = {"client_secret", "password", "secret"}


class Connector(ABC):
    """Base of every plane connector: the protocol plus the shared HTTP framework."""

    kind: ClassVar[str]
    label: ClassVar[str]
    api_version: ClassVar[str]
    default_platforms: ClassVar[tuple[str, ...]] = ()  # what a new instance serves unless told otherwise
    required_settings: ClassVar[tuple[str, ...]] = ()
    required_secrets: ClassVar[tuple[str, ...]] = ()
    optional_secrets: ClassVar[tuple[str, ...]] = ()  # accepted, not required (a mode or feature needs them)
    setting_choices: ClassVar[Mapping[str, tuple[str, ...]]] = {}  # settings with a fixed set of values

    @classmethod
    def required_for(cls, settings: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(settings, secrets) a connector configured with `settings` needs (planes with modes override)."""
        return cls.required_settings, cls.required_secrets

    def __init__(self, config: ConnectorConfig, runtime: Runtime | None = None) -> None:
        self.config = config
        self.runtime = runtime or Runtime()
        self.breaker = self.runtime.breaker or CircuitBreaker(clock=self.runtime.clock)
        self.recorded: list[RecordedRequest] = []
        self.waits: list[float] = []
        self._token: str | None = None
        self._token_expires = 0.0
        self.http = httpx.Client(
            base_url=config.base_url.rstrip("/"),
            timeout=httpx.Timeout(config.timeout, connect=config.connect_timeout),
            transport=self.runtime.transport,
            headers={"User-Agent": "fleetgate-connector/1.0", "Accept": "application/json"},
            follow_redirects=False,
        )
        self._retrying = Retrying(
            retry=retry_if_exception(_retryable),
            wait=BackoffWithRetryAfter(rng=self.runtime.rng),
            stop=stop_after_attempt(max(1, config.max_attempts)),
            sleep=self._sleep,
            reraise=True,
        )

    # ---- the protocol -------------------------------------------------------------------

    @abstractmethod
    def check(self) -> CheckResult: ...

    @abstractmethod
    def publish(self, artifact: Artifact, key: str) -> AppRef: ...

    @abstractmethod
    def assign(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult: ...

    @abstractmethod
    def observe(self, app: AppRef, group: RingGroup) -> ObserveResult: ...

    @abstractmethod
    def retire(self, app: AppRef, group: RingGroup, key: str) -> OperationResult: ...

    @abstractmethod
    def inventory(self, group: RingGroup) -> list[InventoryItem]: ...

    @abstractmethod
    def group_size(self, group: RingGroup) -> int:
        """How many devices the plane has in the ring group now (its membership, never a typed count)."""

    @abstractmethod
    def find_published(self, artifact: Artifact, key: str) -> AppRef | None:
        """Resume after a crash: the object a publish with this key created, found by its marker."""

    @abstractmethod
    def find_assignment(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult | None:
        """Resume after a crash: the assignment made with this key, if the plane has it."""

    def find_retirement(self, app: AppRef, group: RingGroup, key: str) -> OperationResult | None:
        return None  # retiring twice is harmless on every plane; redo it

    def list_groups(self, search: str = "", limit: int = 50) -> list[PlaneGroup]:
        """The plane's device groups whose name matches `search` (a read), at most `limit`, by name."""
        raise Permanent(f"{self.kind}: this plane cannot list its groups")

    # ---- helpers for planes ---------------------------------------------------------------

    @staticmethod
    def marker(key: str) -> str:
        """The correlation marker written into the plane object's notes/description."""
        return "fleetgate:" + hashlib.sha256(key.encode()).hexdigest()[:20]

    def close(self) -> None:
        self.http.close()

    def _sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.runtime.sleep(seconds)

    def authenticate(self) -> dict[str, str]:
        """Headers proving who we are; planes with tokens override `fetch_token`."""
        now = self.runtime.clock()
        if self._token is None or now >= self._token_expires:
            token, lifetime = self.fetch_token()
            self._token, self._token_expires = token, now + max(30.0, lifetime - 60.0)
        return {"Authorization": f"Bearer {self._token}"}

    def fetch_token(self) -> tuple[str, float]:
        """Token planes (Intune, Jamf) override this; header-auth planes override `authenticate` instead."""
        raise TypeError(f"{type(self).__name__} must override fetch_token() or authenticate()")

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: Mapping[str, str] | None = None,
        content: bytes | str | None = None,
        files: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        dry: Any = None,
        dry_status: int = 200,
        safe: bool = False,
    ) -> httpx.Response:
        """One logical call to the plane, through the breaker and the one retry layer.

        `safe` requests (authentication, the health probe, reads) are sent even in dry-run mode;
        anything else is recorded and answered locally with `dry` (JSON or text) instead.
        """
        if self.config.dry_run and not safe:
            if files:
                content = b"".join(v[1] if isinstance(v, tuple) else b"" for v in files.values())
            return self._dry(method, url, params, json_body, data, content, headers, dry, dry_status)
        # Authenticate before, not inside, the retry loop: a token request has its own turn through
        # the same layer, so attempts never multiply.
        all_headers = {**(self.authenticate() if auth else {}), **(headers or {})}
        return self._retrying(self._attempt, method, url, params, json_body, data, content, files, all_headers)

    def _attempt(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        data: Mapping[str, str] | None,
        content: bytes | str | None,
        files: Mapping[str, Any] | None,
        all_headers: dict[str, str],
    ) -> httpx.Response:
        self.breaker.before_call()
        if self.config.dry_run:
            self._record(method, url, params, json_body, data, content, all_headers, sent=True)
        try:
            response = self.http.request(
                method, url, params=params, json=json_body, data=data, content=content, files=files, headers=all_headers
            )
        except httpx.TimeoutException as exc:
            self._failed("timeout")
            raise Transient(f"{self.kind} {method} {url}: timed out ({exc.__class__.__name__})") from exc
        except httpx.TransportError as exc:
            self._failed("unreachable")
            raise Transient(f"{self.kind} {method} {url}: cannot connect ({exc.__class__.__name__})") from exc
        error = classify(response, plane=self.kind)
        if response.status_code == 401:
            self._token = None  # the next call fetches a fresh token
        if isinstance(error, Transient):
            self._failed(f"http_{response.status_code}")
            raise error
        self.breaker.record_success()
        self._metric("ok" if error is None else error.kind)
        if error is not None:
            raise error
        return response

    def _failed(self, outcome: str) -> None:
        self.breaker.record_failure()
        self._metric(outcome)

    def _metric(self, outcome: str) -> None:
        if self.runtime.on_attempt:
            self.runtime.on_attempt(self.kind, outcome)

    def _dry(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        data: Mapping[str, str] | None,
        content: bytes | str | None,
        headers: Mapping[str, str] | None,
        dry: Any,
        dry_status: int,
    ) -> httpx.Response:
        self._record(method, url, params, json_body, data, content, {**(headers or {}), "Authorization": "***"}, False)
        request = httpx.Request(method, self.http.base_url.join(url) if not url.startswith("http") else url)
        if isinstance(dry, str):
            return httpx.Response(dry_status, text=dry, request=request)
        return httpx.Response(dry_status, json=dry if dry is not None else {}, request=request)

    def _record(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        data: Mapping[str, str] | None,
        content: bytes | str | None,
        headers: Mapping[str, str],
        sent: bool,
    ) -> None:
        full = str(self.http.base_url.join(url)) if not url.startswith("http") else url
        if params:
            full += ("&" if "?" in full else "?") + str(httpx.QueryParams(params))
        if json_body is not None:
            body = json.dumps(json_body, sort_keys=True)
        elif data is not None:
            body = str(httpx.QueryParams({k: ("***" if k in SECRET_FORM_FIELDS else v) for k, v in data.items()}))
        elif isinstance(content, bytes):
            body = f"<{len(content)} bytes sha256={hashlib.sha256(content).hexdigest()}>"
        else:
            body = content or ""
        safe_headers = {k: ("***" if k.lower() in REDACT else v) for k, v in headers.items()}
        self.recorded.append(RecordedRequest(method, full, safe_headers, body, sent))

    def json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise SchemaMismatch(
                f"{self.kind}: expected JSON from {response.request.url.path}, got {response.text[:120]!r}"
            ) from exc

    def field(self, obj: Mapping[str, Any], name: str) -> Any:
        try:
            return obj[name]
        except (KeyError, TypeError) as exc:
            raise SchemaMismatch(f"{self.kind}: response lacks '{name}' (the API version may differ)") from exc

    def timed_check(self, probe: Callable[[], str]) -> CheckResult:
        start = time.perf_counter()
        detail = probe()
        return CheckResult(
            ok=True,
            plane=self.kind,
            api_version=self.api_version,
            detail=detail,
            latency_ms=round((time.perf_counter() - start) * 1000, 1),
        )
