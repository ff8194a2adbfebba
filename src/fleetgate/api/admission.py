"""Bounded admission in each web worker: what a worker cannot serve in time it refuses at once with
503 problem+json and `Retry-After`, instead of queueing it (issue 16, "honest behaviour under overload").

Two bounds, both per gunicorn worker process and configurable (`config.py`, 0 turns one off):

- FLEETGATE_WEB_MAX_IN_FLIGHT (default 32, 4 x the 8 threads `fleetgate up` runs): requests admitted at
  once, running or waiting for a thread. The worker (`gunicorn_conf.AdmissionWorker`) counts them when
  it hands a request to its thread pool; one over the limit goes to a small pool of its own, where
  `AdmissionMiddleware` answers it before anything else runs, so a refusal never waits for the slow
  requests that fill the main pool.
- FLEETGATE_WEB_QUEUE_WAIT_MS (default 500): how long an admitted request may wait for a free thread,
  measured from when its connection was accepted (or, on a kept-alive connection, became readable
  again). One that waited longer is refused when a thread picks it up, before authentication, session
  or database work; so no request served waited longer than the bound. So that such refusals are fast
  too, the worker also refuses at once (in the refusal pool) a request whose expected wait is over the
  bound: the requests ahead of it without a thread x the recent mean service time / threads.

Health (`/health/live`, `/health/ready`) and `/metrics` are never refused: probes and scrapers must see
the truth about an overloaded server. This module has no Django import: the worker runs it too.
"""

from __future__ import annotations

import threading
import time

from fleetgate.config import settings as cfg

MAX_IN_FLIGHT = cfg.web_max_in_flight
QUEUE_WAIT_S = cfg.web_queue_wait_ms / 1000
RETRY_AFTER_S = cfg.web_retry_after_s
EXEMPT_PREFIXES = ("/health/", "/metrics")


class _State(threading.local):
    """What the worker knows about the request this thread is serving."""

    since: float | None = None  # time.monotonic() when the request became ready to be served
    over_capacity: bool = False  # handed to the refusal pool: at MAX_IN_FLIGHT, or expected to wait too long
    expected_wait_s: float | None = None  # why, when it was the expected wait for a thread
    refused: bool = False  # set here when refused, so the worker learns service times from served ones only


STATE = _State()


def begin(*, since: float, over_capacity: bool, expected_wait_s: float | None = None) -> None:
    STATE.since, STATE.over_capacity, STATE.expected_wait_s, STATE.refused = (
        since,
        over_capacity,
        expected_wait_s,
        False,
    )


def end() -> None:
    STATE.since, STATE.over_capacity, STATE.expected_wait_s = None, False, None


def refusal(path: str, now: float | None = None) -> str | None:
    """None when the request on this thread is served; else why it is refused (the problem's detail)."""
    if STATE.since is None or path.startswith(EXEMPT_PREFIXES):
        return None  # not under the admission worker (tests, `manage runserver`), or exempt
    detail = _detail(now)
    STATE.refused = detail is not None
    return detail


def _detail(now: float | None) -> str | None:
    if STATE.over_capacity and STATE.expected_wait_s is not None:
        return (
            f"This request would wait about {STATE.expected_wait_s * 1000:.0f} ms for a free thread, over this "
            f"server's bound of {QUEUE_WAIT_S * 1000:.0f} ms; retry after {RETRY_AFTER_S} s."
        )
    if STATE.over_capacity:
        return (
            f"This server is at its limit of {MAX_IN_FLIGHT} requests in progress per worker; "
            f"retry after {RETRY_AFTER_S} s."
        )
    waited = (time.monotonic() if now is None else now) - (STATE.since or 0.0)
    if QUEUE_WAIT_S and waited > QUEUE_WAIT_S:
        return (
            f"This request waited {waited * 1000:.0f} ms for a free thread, over this server's bound of "
            f"{QUEUE_WAIT_S * 1000:.0f} ms; retry after {RETRY_AFTER_S} s."
        )
    return None
