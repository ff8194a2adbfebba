"""The WSGI app tests/api/test_admission.py serves with Fleetgate's gunicorn config: Fleetgate itself,
plus `/_slow/`, which holds a worker thread until the test releases it (a file appears in
FLEETGATE_TEST_SLOW_DIR, or 60 s pass), so the test can fill a worker's threads deterministically."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fleetgate.wsgi import application as fleetgate

CONTROL = Path(os.environ.get("FLEETGATE_TEST_SLOW_DIR", "/nonexistent"))
HOLD_AT_MOST_S = 60.0


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") != "/_slow/":
        return fleetgate(environ, start_response)  # type: ignore[no-any-return]
    (CONTROL / f"started-{uuid.uuid4().hex}").touch()
    until = time.monotonic() + HOLD_AT_MOST_S
    while not (CONTROL / "release").exists() and time.monotonic() < until:
        time.sleep(0.01)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
    return [b"done"]
