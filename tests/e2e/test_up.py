"""`fleetgate up --demo` on a fresh data directory: serves, seeds, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "fleetgate up exited early"
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError("server never became ready")


def test_up_serves_demo_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "FLEETGATE_DATA_DIR": str(tmp_path), "FLEETGATE_DATABASE_URL": ""}
    fleetgate = [sys.executable, "-m", "fleetgate.cli.main"]
    proc = subprocess.Popen(
        [*fleetgate, "up", "--port", str(port), "--demo", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc)
        creds = json.loads((tmp_path / "demo-credentials.json").read_text())
        assert set(creds) >= {"admin", "publisher", "auditor"}
        client = httpx.Client(base_url=url)
        session = client.get("/api/v1/auth/session/")
        login = client.post(
            "/api/v1/auth/login/",
            json={"username": "auditor", "password": creds["auditor"]},
            headers={"X-CSRFToken": session.cookies["csrftoken"]},
        )
        assert login.status_code == 200
        intents = client.get("/api/v1/intents/").json()["results"]
        assert {i["state"] for i in intents} >= {"draft", "awaiting_cab", "approved", "cancelled"}
        assert client.get("/api/v1/ledger/").json()["results"][0]["sequence"] > 10
        metrics = client.get("/metrics").text
        assert 'fleetgate_http_requests_total{method="GET",route="intent-list",status="200"}' in metrics
    finally:
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=30)[0].decode()
    assert proc.returncode == 0, output
    assert "Fleetgate stopped." in output
    assert "Demo sign-ins" in output
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/health/live", timeout=2)
