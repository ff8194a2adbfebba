"""CPU per request of the API throttle's bookkeeping, before and after (issue 16), in-process.

"before" is DRF's own UserRateThrottle on the same shared cache (a list of timestamps, read, trimmed,
pickled and written back per request); "after" is `fleetgate.api.throttling.UserThrottle` (a
sliding-window counter: one pipelined INCR/EXPIRE/GET on Redis; one read of two counters and one
write on the database cache). For each backend and each history length (requests the client already
made in the current period, as a busy token under the default 6000/min has), it times
`allow_request` with `time.process_time()` (this process's CPU; Redis's and SQLite's own work in the
call is partly outside it, so wall time is printed too). Writes results/throttle-<timestamp>.json.

    .venv/bin/python bench/throttle_bench.py [-n 400] [--history 10,1000,5000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

import bench_paths

RESULTS = bench_paths.RESULTS
REDIS_URL = os.environ.get("FLEETGATE_BENCH_REDIS", "redis://127.0.0.1:6379/10")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=400, help="timed calls per case (default 400)")
    parser.add_argument("--history", default="10,1000,5000", help="requests already in the period")
    return parser.parse_args()


class _Request:
    """What a user throttle reads of a DRF request: an authenticated user's pk."""

    class user:  # shaped like request.user
        is_authenticated = True
        pk = 4242

    META = {"REMOTE_ADDR": "192.0.2.1"}


def _throttles() -> dict[str, type]:
    from django.core.cache import caches
    from rest_framework.throttling import UserRateThrottle

    from fleetgate.api import throttling

    class Before(UserRateThrottle):
        rate = "1000000/min"  # never refuses: the history keeps growing, as a busy client's does

        @property
        def cache(self) -> Any:  # type: ignore[override]
            return caches["shared"]

    class After(throttling.UserThrottle):
        rate = "1000000/min"

    return {"before (DRF timestamp list)": Before, "after (sliding-window counter)": After}


def _case(cls: type, history: int, n: int) -> dict[str, float]:
    from django.core.cache import caches

    caches["shared"].clear()
    request = _Request()
    for _ in range(history):  # the period's requests so far
        cls().allow_request(request, None)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(n):
        assert cls().allow_request(request, None)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"cpu_us_per_call": round(cpu / n * 1e6, 1), "wall_us_per_call": round(wall / n * 1e6, 1)}


def main() -> int:
    args = parse_args()
    histories = [int(h) for h in args.history.split(",")]
    tmp = tempfile.mkdtemp(prefix="fleetgate-throttle-")
    os.environ.update(
        FLEETGATE_DATA_DIR=tmp,
        FLEETGATE_DATABASE_URL="",
        FLEETGATE_REDIS_URL="",
        FLEETGATE_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="fleetgate.settings",
    )
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        call_command("migrate", verbosity=0)  # the database cache table (SQLite, as embedded installs)
        database = dict(settings.CACHES)
        redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        results: dict[str, Any] = {}
        print(f"{'backend':<10}{'history':>8}  {'throttle':<32}{'cpu us/call':>12}{'wall us/call':>13}")
        for backend, caches_setting in (
            ("redis", {"default": redis, "shared": {**redis, "KEY_PREFIX": "b"}}),
            ("database", database),
        ):
            from django.core.cache import caches
            from django.test.utils import override_settings

            with override_settings(CACHES=caches_setting):
                for history in histories:
                    for name, cls in _throttles().items():
                        r = _case(cls, history, args.n)
                        results.setdefault(backend, {}).setdefault(str(history), {})[name] = r
                        print(
                            f"{backend:<10}{history:>8}  {name:<32}{r['cpu_us_per_call']:>12}"
                            f"{r['wall_us_per_call']:>13}",
                            flush=True,
                        )
                caches["shared"].clear()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = {
        "timestamp": stamp,
        "n": args.n,
        "loadavg": os.getloadavg(),
        "python": sys.version.split()[0],
        "results": results,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"throttle-{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"Results written to {RESULTS / f'throttle-{stamp}.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
