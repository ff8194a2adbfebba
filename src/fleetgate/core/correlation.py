"""Correlation ids: one per request, CLI run or task, carried into every ledger event and log line."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import structlog

HEADER = "X-Correlation-ID"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_current: ContextVar[str | None] = ContextVar("fleetgate_correlation_id", default=None)


def new_id() -> str:
    return str(uuid.uuid4())


def accept(candidate: str | None) -> str:
    """Use a caller's id when it is well formed, otherwise mint one (never echo junk into logs)."""
    if candidate and _VALID.match(candidate):
        return candidate
    return new_id()


def current() -> str:
    value = _current.get()
    if value is None:
        value = new_id()
        _current.set(value)
        structlog.contextvars.bind_contextvars(correlation_id=value)
    return value


def bind(correlation_id: str) -> None:
    """Set the id for the rest of this thread's current unit of work (a worker task)."""
    _current.set(correlation_id)
    structlog.contextvars.bind_contextvars(correlation_id=correlation_id)


@contextmanager
def bound(correlation_id: str) -> Iterator[str]:
    token = _current.set(correlation_id)
    structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
    try:
        yield correlation_id
    finally:
        _current.reset(token)
        structlog.contextvars.unbind_contextvars("correlation_id")
