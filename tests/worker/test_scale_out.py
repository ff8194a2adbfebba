"""The scaled-out shape (README "Scaling out"): two `fleetgate web` servers, as on two machines (each its
own data directory and port), on one PostgreSQL database and one Redis, with one FLEETGATE_SECRET_KEY.
What one server counts, stores or forgets, the other sees:

- a throttle: one user's allowance is spent across both servers, not once per server;
- a cache invalidation: an account locked by failed sign-ins on both servers is locked on both, and
  `fleetgate user unlock` (run on a third host process) clears it for both;
- a session: signed in on one server, the browser's cookie works on the other, and signing out there
  ends it on the first.

PostgreSQL only: an embedded SQLite database is a file on one machine, which two machines cannot share.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from django.db import connection

from fleetgate.core.roles import Role
from tests.factories import PASSWORD, World, make_token
from tests.redis_dbs import SCALE_OUT, redis_url

REDIS_URL = redis_url(SCALE_OUT)  # this test's own Redis database, flushed before and after
THROTTLE = 5  # FLEETGATE_THROTTLE_USER per minute, for both servers together
BOUND_S = 60.0

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="scale-out needs one database shared by two servers: PostgreSQL (SQLite is one machine's file)",
    ),
    pytest.mark.django_db(transaction=True),  # committed rows: the servers are other processes
    pytest.mark.slow,  # starts two servers
]


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def shared_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    store = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    store.flushdb()  # a Redis is part of this shape: without one the test fails here, saying so
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fleetgate.settings",
        "FLEETGATE_DATABASE_URL": _database_url(),
        "FLEETGATE_REDIS_URL": REDIS_URL,
        "FLEETGATE_HUEY_NAME": f"fleetgate-scale-{uuid.uuid4().hex[:8]}",
        "FLEETGATE_SECRET_KEY": "scale-out-test-" + uuid.uuid4().hex,  # one key for every web server
        "FLEETGATE_THROTTLE_USER": f"{THROTTLE}/min",
        "FLEETGATE_LOG_LEVEL": "WARNING",
        "FLEETGATE_DB_POOL_MAX": "4",
        "FLEETGATE_WEB_MAX_IN_FLIGHT": "0",  # shared state is under test here, not admission (test_admission)
        "FLEETGATE_WEB_QUEUE_WAIT_MS": "0",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    yield env
    store.flushdb()


@pytest.fixture
def servers(shared_env: dict[str, str], tmp_path: Path) -> Iterator[list[str]]:
    procs: list[tuple[subprocess.Popen[bytes], Path]] = []
    urls = []
    try:
        for name in ("a", "b"):
            port = _free_port()
            env = {**shared_env, "FLEETGATE_DATA_DIR": str(tmp_path / f"machine-{name}")}  # nothing shared on disk
            argv = [sys.executable, "-m", "fleetgate.cli.main", "web", "--port", str(port)]
            argv += ["--workers", "1", "--threads", "2"]
            log = tmp_path / f"web-{name}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            procs.append((proc, log))
            urls.append(f"http://127.0.0.1:{port}")
        for (proc, log), url in zip(procs, urls, strict=True):
            until = time.monotonic() + 3 * BOUND_S  # Django setup of both servers on a busy machine
            while True:
                assert proc.poll() is None, f"fleetgate web exited:\n{log.read_text()[-3000:]}"
                try:
                    if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < until, f"{url} never became ready:\n{log.read_text()[-3000:]}"
                time.sleep(0.2)
        yield urls
    finally:
        for proc, _ in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc, _ in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def _sign_in(client: httpx.Client, server: str, username: str, password: str) -> httpx.Response:
    if "csrftoken" not in client.cookies:
        client.get(f"{server}/api/v1/auth/session/")
    body = {"username": username, "password": password}
    return client.post(f"{server}/api/v1/auth/login/", json=body, headers={"X-CSRFToken": client.cookies["csrftoken"]})


def _servers_can_check(user: Any) -> None:
    """The suite hashes passwords with MD5 for speed (conftest); the servers accept only their defaults."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])


def test_two_web_servers_share_one_throttle_one_cache_and_the_sessions(
    world: World, servers: list[str], shared_env: dict[str, str], tmp_path: Path
) -> None:
    a, b = servers
    for role in (Role.PUBLISHER, Role.ENDPOINT_OPS):
        _servers_can_check(world.users[role])

    # A throttle: THROTTLE requests a minute for this user, counted once across both servers.
    auth = {"Authorization": f"Bearer {make_token(world.users[Role.AUDITOR])}"}
    turns = [a, b] * (THROTTLE // 2 + 2)
    codes = [httpx.get(f"{url}/api/v1/intents/", headers=auth, timeout=BOUND_S).status_code for url in turns]
    assert codes[:THROTTLE] == [200] * THROTTLE
    assert set(codes[THROTTLE:]) == {429}, codes  # each server alone saw at most THROTTLE // 2 + 1
    assert httpx.get(f"{a}/api/v1/intents/", headers=auth, timeout=BOUND_S).headers["Retry-After"]

    with httpx.Client(timeout=BOUND_S) as browser:  # one cookie jar: cookies name a host, not a port
        # A session: signed in on A, the same cookie is signed in on B; signed out on B, it is over on A.
        publisher = world.users[Role.PUBLISHER]
        assert _sign_in(browser, a, publisher.username, PASSWORD).status_code == 200
        assert browser.get(f"{b}/api/v1/me/").json()["username"] == publisher.username
        out = browser.post(f"{b}/api/v1/auth/logout/", headers={"X-CSRFToken": browser.cookies["csrftoken"]})
        assert out.status_code == 204
        assert browser.get(f"{a}/api/v1/me/").status_code == 401

        # A cache invalidation: failures on both servers add up to one lockout, seen by both...
        ops = world.users[Role.ENDPOINT_OPS].username
        failures = [_sign_in(browser, url, ops, "wrong-password").status_code for url in [a, b] * 5]
        assert failures == [401] * 9 + [423]
        assert [_sign_in(browser, url, ops, PASSWORD).status_code for url in (a, b)] == [423, 423]
        # ... and cleared for both by the operator's unlock, run as a host command on a third machine
        unlock = [sys.executable, "-m", "fleetgate.cli.main", "user", "unlock", ops]
        host = {**shared_env, "FLEETGATE_DATA_DIR": str(tmp_path / "machine-c")}
        done = subprocess.run(unlock, env=host, capture_output=True, text=True, timeout=BOUND_S, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert _sign_in(browser, b, ops, PASSWORD).status_code == 200
        assert _sign_in(browser, a, ops, PASSWORD).status_code == 200
