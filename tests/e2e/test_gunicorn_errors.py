"""gunicorn's own refusals (long request line, long or many headers, control bytes) are problem+json.

Starts gunicorn on 127.0.0.1 with the configuration `fleetgate up` uses and talks raw HTTP to it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("gunicorn-data")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fleetgate.settings",
        "FLEETGATE_DATA_DIR": str(data_dir),
        "FLEETGATE_DATABASE_URL": "",
        "FLEETGATE_LOG_LEVEL": "WARNING",
    }
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "fleetgate.wsgi:application",
        "--config",
        "python:fleetgate.api.gunicorn_conf",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--worker-class",
        "gthread",
        "--threads",
        "2",
    ]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=Path.cwd())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if _send(port, b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:  # pragma: no cover - only when the server cannot start
        proc.terminate()
        pytest.fail(f"gunicorn did not start: {proc.stderr.read() if proc.stderr else b''!r}")
    yield port
    proc.terminate()
    proc.wait(timeout=15)


def _send(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                None,
            )
            if length is not None and len(body) >= length:
                break
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def _problem(result: tuple[int, dict[str, str], bytes], status: int) -> dict[str, object]:
    code, headers, body = result
    assert code == status, body[:300]
    assert headers["content-type"] == "application/problem+json", body[:300]
    problem = json.loads(body)
    assert problem["status"] == status
    assert problem["correlation_id"]
    return dict(problem)


def test_long_url_reaches_django_and_is_a_problem(server: int) -> None:
    path = "/api/v1/" + "a" * 6000
    _problem(_send(server, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()), 404)


def test_url_over_gunicorns_limit_is_a_problem_414(server: int) -> None:
    path = "/api/v1/" + "a" * 9000
    problem = _problem(_send(server, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()), 414)
    assert problem["code"] == "uri-too-long"


def test_header_over_the_limit_is_a_problem_431(server: int) -> None:
    raw = f"GET /api/v1/me/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {'b' * 9000}\r\n\r\n".encode()
    _problem(_send(server, raw), 431)
    many = "".join(f"X-H{i}: v\r\n" for i in range(150))
    _problem(_send(server, f"GET /api/v1/me/ HTTP/1.1\r\nHost: 127.0.0.1\r\n{many}\r\n".encode()), 431)


def test_control_bytes_in_a_header_are_a_problem_400(server: int) -> None:
    raw = b"GET /api/v1/me/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Evil: a\x01\x7fb\r\n\r\n"
    problem = _problem(_send(server, raw), 400)
    assert problem["code"] == "malformed-request"
    _problem(_send(server, b"GET /api/v1/me/\x00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 400)


def test_bad_host_through_gunicorn_is_a_problem(server: int) -> None:
    # HTTP/1.0, so the answer is not chunked (Django's own 400 carries no Content-Length)
    problem = _problem(_send(server, b"GET /api/v1/me/ HTTP/1.0\r\nHost: evil.example\r\n\r\n"), 400)
    assert problem["code"] == "bad-host"
