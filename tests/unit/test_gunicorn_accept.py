"""A web worker that holds its share of connections lets a sibling with room accept a new one first
(gunicorn_conf.AdmissionWorker.accept, issue 16): without it one worker could take most of a burst of
keep-alive connections and serve them on one core while the other idled."""

from __future__ import annotations

import selectors
import socket
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from fleetgate.api import gunicorn_conf
from fleetgate.api.gunicorn_conf import AdmissionWorker


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def _worker(threads: int, holding: int) -> Any:
    worker = AdmissionWorker.__new__(AdmissionWorker)  # the accept path only: no process, no app
    worker.cfg = SimpleNamespace(threads=threads, keepalive=2, is_ssl=False)
    worker.nr_conns, worker.pending_conns = holding, []
    worker.poller = selectors.DefaultSelector()
    return worker


def _connect(listener: socket.socket) -> socket.socket:
    client = socket.create_connection(listener.getsockname())
    with selectors.DefaultSelector() as ready:  # until the kernel has it in the listener's queue
        ready.register(listener, selectors.EVENT_READ)
        assert ready.select(timeout=10), "the connection never reached the listener"
    return client


def test_a_worker_with_a_free_thread_accepts_at_once(listener: socket.socket, monkeypatch: Any) -> None:
    waits: list[float] = []
    monkeypatch.setattr(gunicorn_conf.time, "sleep", waits.append)
    worker = _worker(threads=2, holding=1)
    with _connect(listener):
        worker.accept(listener)
        assert waits == []
        assert worker.nr_conns == 2
        assert len(worker.pending_conns) == 1


def test_a_worker_holding_its_share_leaves_the_connection_to_a_sibling_that_takes_it(
    listener: socket.socket, monkeypatch: Any
) -> None:
    sibling: list[socket.socket] = []

    def sibling_accepts_meanwhile(seconds: float) -> None:
        assert seconds == gunicorn_conf.ACCEPT_DEFER_S
        sibling.append(listener.accept()[0])

    monkeypatch.setattr(gunicorn_conf.time, "sleep", sibling_accepts_meanwhile)
    worker = _worker(threads=2, holding=2)
    with _connect(listener):
        worker.accept(listener)  # the sibling took it during the wait: nothing left here to accept
        assert len(sibling) == 1
        assert worker.nr_conns == 2
        assert worker.pending_conns == []
        sibling[0].close()


def test_when_no_sibling_has_room_the_busy_worker_accepts_after_the_wait(
    listener: socket.socket, monkeypatch: Any
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(gunicorn_conf.time, "sleep", waits.append)
    worker = _worker(threads=2, holding=5)
    with _connect(listener):
        worker.accept(listener)  # accepted (and, if it must be, refused by admission: never left queued)
        assert waits == [gunicorn_conf.ACCEPT_DEFER_S]
        assert worker.nr_conns == 6
        assert len(worker.pending_conns) == 1
