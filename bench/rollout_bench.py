"""The rollout engine at scale: 200 concurrent rollouts across the 5 planes over 50,000 simulated devices.

Fresh PostgreSQL database and data directory; the five simulators (10,000 devices each: lab 200,
canary 1,800, pilot 8,000) run in a child process so their CPU is not the engine's. Each tick is
measured twice: by two threads of this process calling `engine.tick()` at the same time (the code a
Huey consumer runs, sharing the work through the rollout lease), which gives database queries per
rollout (CaptureQueriesContext on each thread's connection), plane requests (the simulators' request
logs) and peak RSS; and by two real `fleetgate worker` processes consuming one `advance_rollout` task
per rollout from Redis (RedisHuey), which gives the wall time of a tick as production runs it. The baseline is the same
pass with 20 rollouts, measured in the same run. Prints the figures and writes JSON to bench/results/.
Run: `.venv/bin/python bench/rollout_bench.py [--rollouts 200] [--baseline 20]`.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bench_paths
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
RESULTS = bench_paths.RESULTS
PG = os.environ.get("FLEETGATE_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("FLEETGATE_BENCH_REDIS", "redis://127.0.0.1:6379/14")
PLANES = ("intune", "sccm", "jamf", "landscape", "ansible")
GROUPS = (("BENCH-LAB", 200), ("BENCH-CANARY", 1_800), ("BENCH-PILOT", 8_000))  # per plane: 10,000 devices


def start_workers(count: int = 2) -> list[Any]:
    """`count` real consumers (one thread each) on this benchmark's database and Redis queue."""
    import subprocess

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    argv = [sys.executable, "-m", "fleetgate.cli.main", "worker", "--workers", "1", "--quiet"]
    return [subprocess.Popen(argv, env=env) for _ in range(count)]


def worker_tick(rollouts: int, limit: float = 1200.0) -> dict[str, Any]:
    """One `advance_rollout` task per rollout through Redis; the time until the workers finished them all."""
    from huey.contrib.djhuey import HUEY

    from fleetgate.rollouts import tasks
    from fleetgate.rollouts.models import Rollout
    from fleetgate.worker.models import JobRun

    HUEY.flush()  # nothing left over from starting the rollouts
    done = JobRun.Status.SUCCEEDED, JobRun.Status.FAILED
    before = JobRun.objects.filter(task="advance_rollout", status__in=done).count()
    began = time.perf_counter()
    for intent_id in Rollout.objects.values_list("intent_id", flat=True):
        tasks.advance_rollout(str(intent_id))
    finished = before
    while finished < before + rollouts and time.perf_counter() - began < limit:
        time.sleep(0.2)
        finished = JobRun.objects.filter(task="advance_rollout", status__in=done).count()
    return {"seconds": round(time.perf_counter() - began, 3), "tasks": finished - before, "workers": 2}


def serve(conns: Any, control: Any) -> None:
    """The child: five simulators; answers 'requests' with each plane's request count, 'stop' to end."""
    from fleetsim.fleet import Fleet, GroupSpec
    from fleetsim.planes import SIMULATORS, connection
    from fleetsim.server import start

    running = []
    for i, plane in enumerate(PLANES):
        fleet = Fleet(
            seed=40 + i, groups=tuple(GroupSpec(n, s) for n, s in GROUPS), success_probability=1.0, speed=3600
        )
        running.append(start(SIMULATORS[plane](seed=40 + i, fleet=fleet)))
    conns.send([{**connection(r.app), "kind": plane} for r, plane in zip(running, PLANES, strict=True)])
    while (msg := control.recv()) != "stop":
        assert msg == "requests"
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        control.send(({r.app.plane: len(r.app.requests) for r in running}, rss))
    for r in running:
        r.stop()


def setup(db: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="fleetgate.settings",
        FLEETGATE_DATABASE_URL=f"{PG}/{db}",
        FLEETGATE_DATA_DIR=tempfile.mkdtemp(prefix="fg-rollout-bench-"),
        FLEETGATE_LOG_LEVEL="WARNING",
        FLEETGATE_REDIS_URL=REDIS,
        FLEETGATE_HUEY_NAME=f"fg-rbench-{os.getpid()}",
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def connect_planes(world: Any, connections: list[dict[str, Any]]) -> list[Any]:
    """One connector per plane, all serving the benchmark's MSI (routing picks the one enabled)."""
    from fleetgate.connectors import services as connectors
    from fleetgate.core.roles import Role

    admin = world.actors[Role.PLATFORM_ADMIN]
    return [
        connectors.create(actor=admin, data={**c, "name": f"bench-{c['kind']}", "platforms": ["windows"]})
        for c in connections
    ]


def only_enabled(world: Any, planes: list[Any], keep: Any) -> None:
    from fleetgate.connectors import services as connectors
    from fleetgate.connectors.models import ConnectorInstance
    from fleetgate.core.roles import Role

    for plane in planes:
        current = ConnectorInstance.objects.get(pk=plane.pk)
        if current.enabled != (plane.pk == keep.pk):
            connectors.update(
                actor=world.actors[Role.PLATFORM_ADMIN],
                connector_id=current.pk,
                changes={"enabled": plane.pk == keep.pk},
                expected_etag=current.etag,
            )


def start_rollouts(world: Any, planes: list[Any], count: int) -> float:
    """`count` approved intents, spread evenly over the planes, started (each route fixed at start)."""
    from tests.factories import World, make_application, make_version, sealed_intent
    from tests.fixtures.connectors.support import deb_payload

    from fleetgate.approvals import services as approvals
    from fleetgate.core.roles import Role
    from fleetgate.rollouts.services import engine

    rings = zip(("lab", "canary", "pilot"), GROUPS, strict=True)
    plan = [{"ring": r, "target_group": g, "device_count": n} for r, (g, n) in rings]
    began = time.perf_counter()
    for i in range(count):
        plane = planes[i % len(planes)]
        only_enabled(world, planes, plane)
        # one application per rollout: an application has one active change per ring
        app = make_application(world.actors[Role.PLATFORM_ADMIN])
        make_version(world.actors[Role.PACKAGING_ENGINEER], app, "1.0.0")
        own = World(actors=world.actors, app=app, users=world.users)
        content = {"content": deb_payload()} if plane.kind == "landscape" else {}  # Landscape takes .debs
        sealed = sealed_intent(own, ring_plan=plan, rollback_plan={"strategy": "uninstall"}, **content)
        approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
        engine.start(actor=world.publisher, intent_id=sealed.intent.pk)
    enable_all(world, planes)  # routes are fixed now; every plane must be usable for the ticks
    return time.perf_counter() - began


def enable_all(world: Any, planes: list[Any]) -> None:
    from fleetgate.connectors import services as connectors
    from fleetgate.connectors.models import ConnectorInstance
    from fleetgate.core.roles import Role

    for plane in planes:
        current = ConnectorInstance.objects.get(pk=plane.pk)
        if not current.enabled:
            connectors.update(
                actor=world.actors[Role.PLATFORM_ADMIN],
                connector_id=current.pk,
                changes={"enabled": True},
                expected_etag=current.etag,
            )


def tick(control: Any, rollouts: int, workers: int = 2) -> dict[str, Any]:
    """One pass over every rollout by `workers` concurrent threads; queries, requests and time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fleetgate.rollouts.services import engine

    control.send("requests")
    before, _ = control.recv()
    queries = [0] * workers
    barrier = threading.Barrier(workers)

    def work(i: int) -> None:
        barrier.wait()
        with CaptureQueriesContext(connection) as captured:
            engine.tick()
        queries[i] = len(captured.captured_queries)
        connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    control.send("requests")
    after, sim_rss = control.recv()
    requests = {p: after[p] - before.get(p, 0) for p in after}
    from collections import Counter

    from fleetgate.rollouts.models import Rollout

    statuses = Counter(Rollout.objects.values_list("status", flat=True))
    return {
        "rollouts": rollouts,
        "seconds": round(elapsed, 3),
        "queries": sum(queries),
        "queries_per_rollout": round(sum(queries) / rollouts, 1),
        "plane_requests": sum(requests.values()),
        "plane_requests_per_rollout": round(sum(requests.values()) / rollouts, 1),
        "plane_requests_by_plane": requests,
        "simulator_peak_rss_mib": round(sim_rss),
        "rollout_statuses_after": dict(statuses),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rollouts", type=int, default=200)
    parser.add_argument("--baseline", type=int, default=20)
    args = parser.parse_args()
    db = f"fleetgate_rbench_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    ctx = mp.get_context("fork")  # before Django opens a connection
    parent_conns, child_conns = ctx.Pipe()
    control, child_control = ctx.Pipe()
    child = ctx.Process(target=serve, args=(child_conns, child_control), daemon=True)
    child.start()
    try:
        setup(db)
        from tests.factories import World

        world = World.build()
        planes = connect_planes(world, parent_conns.recv())
        rows: dict[str, Any] = {}
        for label, count in (("baseline", args.baseline), ("full", args.rollouts - args.baseline)):
            created = start_rollouts(world, planes, count)
            total = args.baseline if label == "baseline" else args.rollouts
            first = tick(control, total)  # publishes and assigns the fresh rollouts' first ring
            steady = tick(control, total)  # observe and evaluate gates (soak keeps every rollout in lab)
            workers = start_workers()
            try:
                redis_tick = worker_tick(total)
            finally:
                for w in workers:
                    w.terminate()
                    w.wait(timeout=30)
            rows[label] = {
                "setup_seconds": round(created, 1),
                "first_tick": first,
                "steady_tick": steady,
                "steady_tick_two_redis_workers": redis_tick,
            }
            more = "more " if label == "full" else ""  # the full run starts its rollouts beside the baseline's
            print(
                f"{total:4} rollouts ({count} {more}started in {created:.0f} s): first tick {first['seconds']} s, "
                f"{first['queries_per_rollout']} queries and {first['plane_requests_per_rollout']} plane requests "
                f"per rollout; steady tick {steady['seconds']} s, {steady['queries_per_rollout']} queries and "
                f"{steady['plane_requests_per_rollout']} plane requests per rollout; "
                f"steady tick by two Redis workers {redis_tick['seconds']} s ({redis_tick['tasks']} tasks)"
            )
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        base, full = rows["baseline"]["steady_tick"], rows["full"]["steady_tick"]
        ratios = {
            "rollouts": round(full["rollouts"] / base["rollouts"], 1),
            "steady_tick_seconds": round(full["seconds"] / max(base["seconds"], 1e-6), 1),
            "queries_per_rollout": round(full["queries_per_rollout"] / max(base["queries_per_rollout"], 1e-6), 2),
        }
        print(f"steady tick, {full['rollouts']} vs {base['rollouts']} rollouts: {ratios}")
        print(f"peak RSS: engine process {rss:.0f} MiB, simulators {full['simulator_peak_rss_mib']} MiB")
        report = {
            "benchmark": "rollout_tick",
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "workers": "2 threads calling engine.tick() (queries, requests); 2 `fleetgate worker` on Redis (time)",
            "devices": len(PLANES) * sum(n for _, n in GROUPS),
            "planes": list(PLANES),
            "engine_peak_rss_mib": round(rss),
            "results": rows,
            "ratios_full_vs_baseline": ratios,
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        for path in (RESULTS / f"rollouts-{args.rollouts}-{stamp}.json", RESULTS / "rollouts-latest.json"):
            path.write_text(json.dumps(report, indent=2) + "\n")
        print(f"written to {RESULTS / 'rollouts-latest.json'}")
    finally:
        control.send("stop")
        child.join(timeout=10)
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


if __name__ == "__main__":
    main()
