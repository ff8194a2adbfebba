"""In-process CPU per request of Fleetgate's read endpoints (issue 16): no server, no network.

Migrates a fresh database (SQLite in a temporary directory, or a fresh PostgreSQL database with
--postgres), loads the demo data, and reads each endpoint N times through Django's test client
with the publisher's bearer token, timing `time.process_time()` (this process's CPU, so other load
on the machine matters less than for wall time). Prints ms of CPU per request and the queries of
one request. Use it before and after a change, in the same conditions.

    .venv/bin/python bench/cpu_per_request.py [--postgres] [--writes] [-n 200]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

PG = os.environ.get("FLEETGATE_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("FLEETGATE_BENCH_REDIS", "redis://127.0.0.1:6379/13")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database instead of SQLite")
    parser.add_argument(
        "--redis", action="store_true", help="shared cache on Redis (FLEETGATE_BENCH_REDIS), as deployed"
    )
    parser.add_argument("-n", type=int, default=200, help="requests per endpoint (default 200)")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per endpoint; the best is shown")
    parser.add_argument(
        "--profile", metavar="ENDPOINT", help="cProfile one endpoint (a name substring) and print the top"
    )
    parser.add_argument("--intents", type=int, default=40, help="drafts to add to the demo data (a full page)")
    parser.add_argument("--only", metavar="ENDPOINT", help="measure only endpoints whose name contains this")
    parser.add_argument("--writes", action="store_true", help="also an intent create and update (ceiling_ab's writes)")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    tmp = tempfile.mkdtemp(prefix="fleetgate-cpu-")
    db = f"fleetgate_cpu_{datetime.now(UTC).strftime('%Y%m%dt%H%M%S')}_{os.getpid()}"
    if args.postgres:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db}"')
    os.environ.update(
        FLEETGATE_DATA_DIR=tmp,
        FLEETGATE_DATABASE_URL=f"{PG}/{db}" if args.postgres else "",
        FLEETGATE_LOG_LEVEL="WARNING",
        FLEETGATE_THROTTLE_USER="1000000/min",
        DJANGO_SETTINGS_MODULE="fleetgate.settings",
        FLEETGATE_REDIS_URL=REDIS if args.redis else "",
    )
    try:
        return measure(args)
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(tmp, ignore_errors=True)
        if args.postgres:
            import psycopg

            with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def measure(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from fleetgate.cli import seed
    from fleetgate.core.actors import SYSTEM, service
    from fleetgate.identity import services as identity
    from fleetgate.intents.models import DeploymentIntent

    call_command("migrate", interactive=False, verbosity=0)
    seed.seed()
    publisher = get_user_model().objects.get(username="publisher")
    bootstrap = service("bench-cpu", SYSTEM.rights | {"token.manage"})
    token = identity.create_token(actor=bootstrap, user_id=publisher.pk, name="cpu", days=1)[1]
    add_drafts(publisher, args.intents)
    intent = DeploymentIntent.objects.order_by("created_at").first()
    host = settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "127.0.0.1"
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST=host)
    reads = {
        "intent list (20)": "/api/v1/intents/?page_size=20",
        "one intent": f"/api/v1/intents/{intent.pk}/" if intent else "",
        "applications": "/api/v1/applications/",
        "ledger page (20)": "/api/v1/ledger/?page_size=20",
        "dashboard": "/api/v1/dashboard/",
        "jobs (20)": "/api/v1/jobs/?page_size=20",
        "me": "/api/v1/me/",
    }
    print(f"{connection.vendor}, {args.n} requests x best of {args.repeat}")
    print(f"{'endpoint':<18} {'cpu ms/req':>10} {'queries':>8}")
    for name, url in reads.items():
        if not url or (args.only and args.only not in name):
            continue
        for _ in range(10):
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url} -> {response.status_code}: {response.content[:300]!r}")
        if args.profile and args.profile in name:
            profile(client, url, args.n)
        best = float("inf")
        for _ in range(args.repeat):
            began = time.process_time()
            for _ in range(args.n):
                client.get(url)
            best = min(best, (time.process_time() - began) * 1000 / args.n)
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        print(f"{name:<18} {best:>10.2f} {len(ctx.captured_queries):>8}", flush=True)
    if args.writes:
        measure_writes(client, args)
    return 0


def measure_writes(client: Any, args: argparse.Namespace) -> None:
    """Create and update as ceiling_ab.py sends them: a fresh intent body; a PATCH of the title with If-Match."""
    import uuid

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fleetgate.catalog.models import Application, ApplicationVersion

    version = ApplicationVersion.objects.select_related("application").order_by("pk").first()
    assert version is not None, "the demo data has application versions"
    application: Application = version.application

    def body() -> dict[str, Any]:
        return {
            "name": f"cpu-{uuid.uuid4().hex[:16]}",
            "title": "CPU per request write",
            "application": str(application.pk),
            "version": version.version,
            "target_boundary": "acme",
            "target_business_unit": "finance",
            "target_site_classes": ["online"],
            "ring_plan": [{"ring": "lab", "target_group": "G", "device_count": 5}],
            "rollback_plan": {"strategy": "uninstall"},
        }

    def create() -> Any:
        response = client.post("/api/v1/intents/", body(), content_type="application/json")
        if response.status_code != 201:
            raise RuntimeError(f"create -> {response.status_code}: {response.content[:300]!r}")
        return response

    created = create()
    state = {"url": f"/api/v1/intents/{created.json()['id']}/", "etag": created.headers["ETag"]}

    def update() -> Any:
        response = client.patch(
            state["url"],
            {"title": f"edit {time.perf_counter()}"},
            content_type="application/json",
            HTTP_IF_MATCH=state["etag"],
        )
        if response.status_code != 200:
            raise RuntimeError(f"update -> {response.status_code}: {response.content[:300]!r}")
        state["etag"] = response.headers["ETag"]
        return response

    for name, write in {"intent create": create, "intent update": update}.items():
        if args.only and args.only not in name:
            continue
        for _ in range(10):
            write()
        if args.profile and args.profile in name:
            profile_calls(write, args.n)
        best = float("inf")
        for _ in range(args.repeat):
            began = time.process_time()
            for _ in range(args.n):
                write()
            best = min(best, (time.process_time() - began) * 1000 / args.n)
        with CaptureQueriesContext(connection) as ctx:
            write()
        print(f"{name:<18} {best:>10.2f} {len(ctx.captured_queries):>8}", flush=True)


def add_drafts(publisher: object, count: int) -> None:
    """Drafts as the load bench seeds them (bench_seed.READ_TARGETS), so a list page is full."""
    import bench_seed

    from fleetgate.catalog.models import Application
    from fleetgate.identity.queries import from_user
    from fleetgate.intents import services as intents

    actor = from_user(publisher)
    app_id = {a.name: a.pk for a in Application.objects.all()}.__getitem__
    for i in range(count):
        intents.create(actor=actor, data=bench_seed.seed_intent(i, "cpu-seed", app_id))


def profile(client: object, url: str, n: int) -> None:
    profile_calls(lambda: client.get(url), n)  # type: ignore[attr-defined]


def profile_calls(call: Callable[[], object], n: int) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        call()
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs().sort_stats("tottime")
    stats.print_stats(35)
    stats.sort_stats("cumulative").print_stats(60)


if __name__ == "__main__":
    sys.exit(main())
