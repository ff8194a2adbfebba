"""A connector client reused across a run of plane calls (a reconciliation pass, an engine tick).

Outside a session every plane call builds its connector from the instance row (a new HTTP client,
a new sign-in: a token plane fetches a token per call). Inside `session()`, the first call for an
instance builds it and the rest of the session reuses it: one HTTP client with its connection
pool, one token until it nears expiry, one circuit breaker whose state is still persisted after
every call (so a breaker that opens mid-pass also stops the rest of the pass). A changed instance
(its revision moved on) is built afresh. Sessions nest (the outermost owns the clients) and are
per thread and per asynchronous context (a ContextVar); the clients are closed when it ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from fleetgate.connectors.base import Connector

_current: ContextVar[dict[Any, tuple[int, Connector]] | None] = ContextVar("fleetgate_connectors", default=None)


@contextmanager
def session() -> Iterator[None]:
    if _current.get() is not None:
        yield
        return
    clients: dict[Any, tuple[int, Connector]] = {}
    token = _current.set(clients)
    try:
        yield
    finally:
        _current.reset(token)
        for _, connector in clients.values():
            connector.close()


def connector_for(instance: Any, build: Callable[[Any], Connector]) -> Connector:
    """The session's connector for `instance` (built on first use), or a fresh one outside a session."""
    clients = _current.get()
    if clients is None:
        return build(instance)
    held = clients.get(instance.pk)
    if held is not None and held[0] == instance.revision:
        return held[1]
    if held is not None:
        held[1].close()
    connector = build(instance)
    clients[instance.pk] = (instance.revision, connector)
    return connector


def active() -> bool:
    return _current.get() is not None
