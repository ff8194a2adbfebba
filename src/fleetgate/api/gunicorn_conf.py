"""gunicorn settings for `fleetgate up` (`gunicorn -c python:fleetgate.api.gunicorn_conf`).

gunicorn answers some requests itself, before Django sees them, with an HTML page: a request line over
its limit (414), too many or too long header fields (431), a malformed request line, raw control bytes
in a header, a bad chunked body (400). Two things keep every answer an API client sees problem+json:
- the limits are as high as gunicorn allows for the request line (8190 bytes), so a long URL reaches
  Django and gets its ordinary problem (e.g. 404 naming the path) with a correlation id;
- what gunicorn still refuses is written by `write_problem` below instead of gunicorn's HTML page. These
  responses carry a fresh correlation id (no request was read, so none could be accepted from the client).

It also sets the worker class, `AdmissionWorker`: gunicorn's gthread worker with bounded admission
(`fleetgate.api.admission`, answered by `api.middleware.AdmissionMiddleware`). Read against gunicorn's
own `gunicorn/workers/gthread.py` (27.0.1, the pinned version): the main thread accepts connections and
hands each readable one to a `ThreadPoolExecutor` through `enqueue_req`, whose queue is unbounded, and
a fresh connection waits for its first bytes inside a pool thread (`TConn.wait_for_data`). Here
- a fresh connection waits for its first bytes on the poller instead (gthread's own "pending" path,
  `on_pending_socket_readable`), stamped with its accept time, so a pool thread only ever gets a
  request that is there to be read, and the queue wait is measured from the accept;
- `enqueue_req` counts requests in flight (handed to the pool, not yet answered); one over
  FLEETGATE_WEB_MAX_IN_FLIGHT, or one whose expected wait for a thread (those ahead of it without one x
  the moving mean of service time / threads) is over FLEETGATE_WEB_QUEUE_WAIT_MS, goes to a two-thread
  refusal pool, whose answer (503, or health and metrics served) never waits behind the main pool;
- the slot is freed when the application returns, before gunicorn writes the answer, so a client's
  next request never finds its own previous one still counted;
- a worker that already holds as many connections as it has threads lets a sibling take a new one first
  (`ACCEPT_DEFER_S`): the kernel wakes every worker for a connection and the first to call accept wins,
  so without it one worker could take most of a burst of keep-alive connections and serve them on one
  core while another idles; on this 2-core box that halved the throughput of some runs (issue 16;
  gunicorn issues #3433 "workers accept() even when their threads are all busy" and #2817);
- the pool thread tells the middleware, through a thread-local, when the request became ready and
  whether it is over capacity; gunicorn parses the request as usual, so a refusal keeps the connection
  alive and never resets it with an unread request behind it.
"""

from __future__ import annotations

import errno
import gc
import json
import selectors
import socket
import threading
import time
import uuid
from concurrent import futures
from functools import partial
from typing import Any

from gunicorn import util
from gunicorn.workers import gthread

CONTENT_TYPE = "application/problem+json"

limit_request_line = 8190  # gunicorn's maximum; 0 ("unlimited") is capped to the same
limit_request_fields = 100
limit_request_field_size = 8190
# gunicorn's control socket is one path per user (~/.gunicorn/gunicorn.ctl): several `fleetgate web` on
# one machine would take it from each other, and nothing here uses it.
control_socket_disable = True

_CODES = {
    400: "malformed-request",
    403: "forbidden",
    414: "uri-too-long",
    417: "expectation-failed",
    431: "header-fields-too-large",
    500: "internal-error",
    501: "not-implemented",
}
_HINTS = {
    414: "The request line is over 8190 bytes; send long filters in a request body, or fewer of them.",
    431: "Too many header fields or one over 8190 bytes; send fewer or shorter headers.",
    400: "The HTTP request is malformed (request line, header syntax, control bytes or chunked body).",
}


def problem_bytes(status: int, reason: str, message: str) -> bytes:
    body = json.dumps(
        {
            "type": "urn:fleetgate:problem:" + _CODES.get(status, "http-error"),
            "title": reason,
            "status": status,
            "detail": f"{_HINTS.get(status, reason + '.')} ({message})" if message else _HINTS.get(status, reason),
            "code": _CODES.get(status, "http-error"),
            "correlation_id": str(uuid.uuid4()),
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: {CONTENT_TYPE}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    return head + body


def write_problem(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    util.write_nonblock(sock, problem_bytes(int(status_int), reason, mesg))


# gunicorn's workers call util.write_error for every error they answer themselves. The master loads this
# module before forking, so every worker inherits the replacement.
util.write_error = write_problem


worker_class = "fleetgate.api.gunicorn_conf.AdmissionWorker"


def warm_and_freeze() -> None:
    """Import every view now and take start-up's objects out of the garbage collector's sight.

    The first request would otherwise import the URL configuration and every API module it names
    (seconds, on a worker's first request). After that, ~160,000 long-lived objects (modules,
    classes, settings) sit in the oldest generation, and each full collection walked them all,
    ~125 ms during which every thread of the worker stood still (issue 16). `gc.freeze()` moves
    them to a permanent generation the collector never scans; what requests allocate is collected
    as before.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  # imports every API module, as the first request would
    gc.collect()
    gc.freeze()


REFUSAL_THREADS = 2
# How long a worker holding its share of connections waits before accepting one, so that a worker
# with room takes it first; when none has room it is accepted after this wait (and refused if need be).
ACCEPT_DEFER_S = 0.002
SERVICE_EWMA = 0.1  # weight of the latest served request in the moving mean of service time


class AdmissionWorker(gthread.ThreadWorker):
    """gthread with bounded admission: see the module docstring and `fleetgate.api.admission`."""

    def init_process(self) -> None:
        from fleetgate.api import admission  # in the worker: the master needs no Fleetgate settings

        self.admission = admission
        self.in_flight = 0
        self.in_flight_lock = threading.Lock()
        self.slot = threading.local()  # whether this pool thread's request still counts as in flight
        self.service_s = 0.0  # moving mean of a served request's time on its thread
        self.refusals = futures.ThreadPoolExecutor(REFUSAL_THREADS, thread_name_prefix="fleetgate-refusal")
        super().init_process()

    def accept(self, listener: socket.socket) -> None:
        if self.nr_conns >= self.cfg.threads:
            time.sleep(ACCEPT_DEFER_S)  # a sibling with room takes it meanwhile, and accept finds none
        try:
            client_sock, client_addr = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = gthread.TConn(self.cfg, client_sock, client_addr, listener.getsockname())  # non-blocking
        now = time.monotonic()
        conn.fleetgate_since = now  # type: ignore[attr-defined]
        # as long as gthread lets a fresh connection stay silent: the data wait, then the keep-alive
        conn.timeout = now + gthread.DEFAULT_WORKER_DATA_TIMEOUT + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn))

    def enqueue_req(self, conn: Any) -> None:
        since = getattr(conn, "fleetgate_since", None) or time.monotonic()
        conn.fleetgate_since = None
        limit, bound, threads = self.admission.MAX_IN_FLIGHT, self.admission.QUEUE_WAIT_S, self.cfg.threads
        with self.in_flight_lock:
            ahead = self.in_flight - threads + 1  # requests before this one that have no thread yet, and it
            expected = ahead * self.service_s / threads if ahead > 0 else 0.0
            admitted = (not limit or self.in_flight < limit) and not (bound and expected > bound)
            if admitted:
                self.in_flight += 1
        if admitted:
            fs = self.tpool.submit(self.serve, conn, since)
        else:
            fs = self.refusals.submit(self.refuse, conn, since, expected if bound and expected > bound else None)
        fs.add_done_callback(lambda fut: self.method_queue.defer(self.finish_request, conn, fut))

    def load_wsgi(self) -> None:
        super().load_wsgi()
        app: Any = self.wsgi  # type: ignore[has-type]
        warm_and_freeze()

        def released_when_answered(environ: Any, start_response: Any) -> Any:
            try:
                return app(environ, start_response)
            finally:  # before gunicorn writes the answer: a client's next request finds the slot free
                self.release_slot()

        self.wsgi = released_when_answered

    def serve(self, conn: Any, since: float) -> Any:
        self.slot.held, self.slot.started = True, time.monotonic()
        self.admission.begin(since=since, over_capacity=False)
        try:
            return self.handle(conn)
        finally:
            self.admission.end()
            self.release_slot()  # no request was read (client gone, malformed request): freed here

    def release_slot(self) -> None:
        if getattr(self.slot, "held", False):
            self.slot.held = False
            took = time.monotonic() - self.slot.started
            with self.in_flight_lock:
                self.in_flight -= 1
                if not self.admission.STATE.refused:  # learn from what was served, not from refusals
                    self.service_s += SERVICE_EWMA * (took - self.service_s)

    def refuse(self, conn: Any, since: float, expected_wait_s: float | None) -> Any:
        self.admission.begin(since=since, over_capacity=True, expected_wait_s=expected_wait_s)
        try:
            return self.handle(conn)
        finally:
            self.admission.end()

    def handle_quit(self, sig: Any, frame: Any) -> None:
        self.refusals.shutdown(wait=False)
        super().handle_quit(sig, frame)
