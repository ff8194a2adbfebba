"""Bounded admission under a real gunicorn (Fleetgate's config, `AdmissionWorker`) on 127.0.0.1: what a
worker cannot serve in time is refused at once with 503 problem+json and Retry-After, instead of
queueing behind the requests that hold its threads; health and metrics are never refused.

The server runs `tests/api/admission_app.py` (Fleetgate plus a `/_slow/` path that holds a thread until
the test releases it). Requests to the API go unauthenticated: their ordinary answer, 401, needs no
database, so the server runs on its own empty SQLite data directory. Assertions are on behaviour
(status, headers, which requests were still held when a refusal came back), never on timings.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.test import RequestFactory

from fleetgate.api import admission
from fleetgate.api.middleware import AdmissionMiddleware

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1/intents/"
BOUND_S = 60.0  # every wait in these tests ends by itself within this
START_S = 180.0  # a worker's Django setup on a busy machine


@dataclass
class Server:
    url: str
    control: Path
    proc: subprocess.Popen[bytes]
    log: Path

    def started(self) -> int:
        return len(list(self.control.glob("started-*")))

    def wait_started(self, count: int) -> None:
        until = time.monotonic() + BOUND_S
        while self.started() < count:
            assert time.monotonic() < until, f"slow requests never started:\n{self.log.read_text()[-2000:]}"
            time.sleep(0.01)

    def release(self) -> None:
        (self.control / "release").touch()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    started: list[Server] = []

    def start(*, threads: int, max_in_flight: int, queue_wait_ms: int) -> Server:
        port, control = _free_port(), tmp_path / f"control-{len(started)}"
        control.mkdir()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            "DJANGO_SETTINGS_MODULE": "fleetgate.settings",
            "FLEETGATE_DATA_DIR": str(tmp_path / "data"),
            "FLEETGATE_DATABASE_URL": "",
            "FLEETGATE_REDIS_URL": "",
            "FLEETGATE_LOG_LEVEL": "WARNING",
            "FLEETGATE_WEB_MAX_IN_FLIGHT": str(max_in_flight),
            "FLEETGATE_WEB_QUEUE_WAIT_MS": str(queue_wait_ms),
            "FLEETGATE_WEB_RETRY_AFTER": "2",
            "FLEETGATE_TEST_SLOW_DIR": str(control),
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        argv = [sys.executable, "-m", "gunicorn", "tests.api.admission_app:application"]
        argv += ["--config", "python:fleetgate.api.gunicorn_conf", "--bind", f"127.0.0.1:{port}"]
        argv += ["--workers", "1", "--threads", str(threads), "--graceful-timeout", "2"]
        log = tmp_path / f"gunicorn-{port}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        server = Server(f"http://127.0.0.1:{port}", control, proc, log)
        started.append(server)
        until = time.monotonic() + START_S
        while True:
            assert proc.poll() is None, f"gunicorn exited:\n{log.read_text()[-3000:]}"
            try:
                if httpx.get(f"{server.url}/health/live", timeout=2).status_code == 200:
                    return server
            except httpx.HTTPError:
                pass
            assert time.monotonic() < until, f"gunicorn never answered:\n{log.read_text()[-3000:]}"
            time.sleep(0.1)

    yield start
    for server in started:
        server.release()
        server.proc.terminate()
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=5)


def _get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=BOUND_S)


def _release_then(server: Server, pending: Future[httpx.Response]) -> httpx.Response:
    server.release()
    return pending.result()


def _held(slow: list[Future[httpx.Response]]) -> bool:
    return not any(f.done() for f in slow)


def _assert_overloaded(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == "2"
    body = response.json()
    assert (body["code"], body["status"], body["retry_after"]) == ("overloaded", 503, 2)
    assert body["correlation_id"] == response.headers["x-correlation-id"]
    return dict(body)


@pytest.mark.slow  # starts a gunicorn
def test_over_the_in_flight_limit_a_request_is_refused_without_waiting_for_the_slow_ones(serve: Any) -> None:
    server = serve(threads=2, max_in_flight=2, queue_wait_ms=0)
    with ThreadPoolExecutor(4) as pool:
        slow = [pool.submit(_get, f"{server.url}/_slow/") for _ in range(2)]
        server.wait_started(2)  # both threads of the only worker are held

        refused = _get(f"{server.url}{API}")
        assert _held(slow), "the refusal came back only after the slow requests had finished"
        body = _assert_overloaded(refused)
        assert "limit of 2 requests in progress" in body["detail"]
        # probes and scrapers are answered even now, and truthfully
        assert _get(f"{server.url}/health/live").status_code == 200
        assert _get(f"{server.url}/metrics").status_code == 401  # served: it asks for credentials
        assert _held(slow)
        server.release()
        assert [f.result().status_code for f in slow] == [200, 200]
    assert _get(f"{server.url}{API}").status_code == 401  # capacity is back: served as usual


@pytest.mark.slow  # starts a gunicorn
def test_a_request_that_waited_longer_than_the_bound_is_refused_when_a_thread_picks_it_up(serve: Any) -> None:
    server = serve(threads=1, max_in_flight=0, queue_wait_ms=300)
    with ThreadPoolExecutor(3) as pool:
        slow = pool.submit(_get, f"{server.url}/_slow/")
        server.wait_started(1)  # the worker's only thread is held
        queued = pool.submit(_get, f"{server.url}{API}")
        probe = pool.submit(_get, f"{server.url}/health/live")
        time.sleep(2.0)  # behind the held thread the queued request would wait far longer than 300 ms
        # Refused either at once (its expected wait, from the worker's mean service time, is over the
        # bound) or when the thread frees (it waited over the bound): never served after the wait.
        body = _assert_overloaded(queued.result() if queued.done() else _release_then(server, queued))
        assert "over this server's bound of 300 ms" in body["detail"]
        server.release()
        assert slow.result().status_code == 200
        assert probe.result().status_code == 200  # health is exempt from the bound too
    served = _get(f"{server.url}{API}")
    assert served.status_code == 401, served.text  # a request that did not wait (the thread is free) is served


@pytest.mark.slow  # starts a gunicorn
def test_a_kept_alive_connection_is_reused_after_a_refusal(serve: Any) -> None:
    server = serve(threads=1, max_in_flight=1, queue_wait_ms=0)
    with ThreadPoolExecutor(1) as pool, httpx.Client(base_url=server.url, timeout=BOUND_S) as client:
        slow = pool.submit(_get, f"{server.url}/_slow/")
        server.wait_started(1)
        _assert_overloaded(client.get(API))
        server.release()
        assert slow.result().status_code == 200
        # The same connection, now served. The slow request's slot is freed on its own thread as its
        # answer is handed over; on a loaded machine the next request can reach the worker's main
        # thread a moment before that, and is then refused again, fast. A slot that is never freed
        # (a leak) still fails here: every answer would stay 503.
        deadline = time.monotonic() + 10
        again = client.get(API)
        while again.status_code == 503 and time.monotonic() < deadline:
            _assert_overloaded(again)
            time.sleep(0.2)
            again = client.get(API)
        assert again.status_code == 401, again.text


# The middleware in-process: what it answers for each state the worker can hand it.


@pytest.fixture
def middleware() -> Iterator[AdmissionMiddleware]:
    yield AdmissionMiddleware(lambda request: httpx_ok())
    admission.end()


def httpx_ok() -> Any:
    from django.http import HttpResponse

    return HttpResponse("served")


def test_outside_the_admission_worker_every_request_is_served(middleware: AdmissionMiddleware) -> None:
    admission.end()
    assert middleware(RequestFactory().get(API)).status_code == 200


def test_the_queue_wait_bound_and_its_switch(middleware: AdmissionMiddleware, monkeypatch: Any) -> None:
    monkeypatch.setattr(admission, "QUEUE_WAIT_S", 0.5)
    admission.begin(since=time.monotonic() - 2.0, over_capacity=False)
    refused = middleware(RequestFactory().get(API))
    assert (refused.status_code, refused["Retry-After"]) == (503, str(admission.RETRY_AFTER_S))
    assert middleware(RequestFactory().get("/health/ready")).status_code == 200
    admission.begin(since=time.monotonic(), over_capacity=False)
    assert middleware(RequestFactory().get(API)).status_code == 200
    monkeypatch.setattr(admission, "QUEUE_WAIT_S", 0.0)  # FLEETGATE_WEB_QUEUE_WAIT_MS=0: no bound
    admission.begin(since=time.monotonic() - 3600, over_capacity=False)
    assert middleware(RequestFactory().get(API)).status_code == 200


def test_over_capacity_refuses_all_but_health_and_metrics(middleware: AdmissionMiddleware) -> None:
    admission.begin(since=time.monotonic(), over_capacity=True)
    assert middleware(RequestFactory().post(API)).status_code == 503
    assert middleware(RequestFactory().get("/")).status_code == 503  # the UI too: it cannot be served in time
    for path in ("/health/live", "/health/ready", "/metrics"):
        assert middleware(RequestFactory().get(path)).status_code == 200


def test_an_expected_wait_over_the_bound_is_refused_at_once(middleware: AdmissionMiddleware, monkeypatch: Any) -> None:
    monkeypatch.setattr(admission, "QUEUE_WAIT_S", 0.5)
    admission.begin(since=time.monotonic(), over_capacity=True, expected_wait_s=0.8)
    refused = middleware(RequestFactory().get(API))
    assert refused.status_code == 503
    assert "would wait about 800 ms for a free thread, over this server's bound of 500 ms" in refused.content.decode()
    assert admission.STATE.refused  # the worker leaves this one out of its service-time mean
    admission.begin(since=time.monotonic(), over_capacity=False)
    assert middleware(RequestFactory().get(API)).status_code == 200
    assert not admission.STATE.refused
