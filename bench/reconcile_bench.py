"""Reconciliation at scale: one full pass over N intents across the 5 planes and 50,000 simulated devices.

Fresh PostgreSQL database (or SQLite with --sqlite) and data directory; the five simulators run in a
child process (10,000 devices each, in 100 groups of 100) so their CPU is not the pass's. Each intent
is a real application, version and artifact (catalog services) published and assigned on its plane
through the idempotent connector path; its rollout records (Rollout completed, RingRun lab passed,
PlaneTarget) are written directly, since starting rollouts is the rollout engine's own benchmark.
1 % of the intents then get a device uninstalled through the simulator console, so the pass records
and remediates real drift. Measured for one `passes.run()`: wall time, peak RSS of this process,
plane requests (the simulators' request logs) and database queries, each also per intent.
Prints the figures and writes JSON to bench/results/.
`--fresh-clients` measures the old call path (a connector built and signed in for every plane call)
instead of one client per connector instance for the pass.
Run: `.venv/bin/python bench/reconcile_bench.py [--intents 250] [--sqlite] [--fresh-clients]`.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bench_paths

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
RESULTS = bench_paths.RESULTS
PG = os.environ.get("FLEETGATE_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PLANES = ("intune", "sccm", "jamf", "landscape", "ansible")
GROUPS_PER_PLANE, GROUP_SIZE = 100, 100  # 10,000 devices per plane, 50,000 in all
TARGET_WALL_S, TARGET_RSS_MIB, FULL_INTENTS = 60.0, 300.0, 5_000


def serve(conns: Any, control: Any) -> None:
    from fleetsim.fleet import Fleet, GroupSpec
    from fleetsim.planes import SIMULATORS, connection
    from fleetsim.server import start

    groups = tuple(GroupSpec(f"BENCH-{g:03d}", GROUP_SIZE) for g in range(GROUPS_PER_PLANE))
    running = []
    for i, plane in enumerate(PLANES):
        fleet = Fleet(seed=60 + i, groups=groups, success_probability=1.0, late_fraction=0.0, speed=1.0)
        running.append(start(SIMULATORS[plane](seed=60 + i, fleet=fleet)))
    conns.send([{**connection(r.app), "kind": plane, "url": r.url} for r, plane in zip(running, PLANES, strict=True)])
    while (msg := control.recv()) != "stop":
        if msg == "requests":
            control.send({r.app.plane: len(r.app.requests) for r in running})
        elif msg == "settle":
            for r in running:
                r.app.advance(48 * 3600)
            control.send("ok")
    for r in running:
        r.stop()


def setup(db: str, sqlite: bool) -> None:
    data_dir = tempfile.mkdtemp(prefix="fg-reconcile-bench-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="fleetgate.settings",
        FLEETGATE_DATABASE_URL="" if sqlite else f"{PG}/{db}",
        FLEETGATE_DATA_DIR=data_dir,
        FLEETGATE_LOG_LEVEL="WARNING",
        FLEETGATE_REDIS_URL="",
    )
    if not sqlite:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db}"')
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def build(count: int, planes: list[dict[str, Any]]) -> list[Any]:
    """`count` intents, spread over the planes and their groups, published and assigned for real."""
    from tests.factories import World, intent_data, make_application, make_version, upload
    from tests.fixtures.connectors.support import deb_payload

    from fleetgate.catalog import services as catalog
    from fleetgate.connectors import services as connectors
    from fleetgate.connectors.base import RingGroup
    from fleetgate.core.roles import Role
    from fleetgate.intents import services as intents
    from fleetgate.intents.models import DeploymentIntent
    from fleetgate.rollouts.models import PlaneTarget, RingRun, Rollout
    from fleetgate.rollouts.services.common import intent_ref, plane_artifact

    # the detection rule an artifact's install facts give (no evidence is ingested here)
    detection = ({"type": "file", "path": "C:\\Program Files\\Bench\\app.exe"},)

    world = World.build()
    admin = world.actors[Role.PLATFORM_ADMIN]
    instances = [
        connectors.create(
            actor=admin, data={**{k: v for k, v in p.items() if k != "url"}, "name": f"bench-{p['kind']}"}
        )
        for p in planes
    ]
    made = []
    for i in range(count):
        instance = instances[i % len(instances)]
        group = f"BENCH-{(i // len(instances)) % GROUPS_PER_PLANE:03d}"
        app = make_application(admin)
        version = make_version(world.actors[Role.PACKAGING_ENGINEER], app, "1.0.0")
        artifact = catalog.register_artifact(
            actor=world.actors[Role.PACKAGING_ENGINEER],
            version_id=version.pk,
            platform="windows",
            artifact_format="msi",
            filename="app.msi",
            upload=upload(deb_payload() if instance.kind == "landscape" else os.urandom(64)),  # Landscape: .debs
        )
        plan = [{"ring": "lab", "target_group": group, "device_count": GROUP_SIZE}]
        intent = intents.create(actor=world.publisher, data=intent_data(app, ring_plan=plan))
        DeploymentIntent.objects.filter(pk=intent.pk).update(state="completed")
        rollout = Rollout.objects.create(intent=intent, status=Rollout.Status.COMPLETED, current_ring="lab")
        run = RingRun.objects.create(
            rollout=rollout, ring="lab", position=0, state="passed", assigned_at=rollout.started_at
        )
        target = PlaneTarget(
            ring_run=run, connector=instance, artifact=artifact, group=group, planned_devices=GROUP_SIZE
        )
        ref = connectors.publish(
            actor=connectors.RUNNER,
            connector_id=instance.pk,
            artifact=replace(plane_artifact(target, artifact), detection_rules=detection),
            key=f"bench:{i}:p",
        )
        done = connectors.assign(
            actor=connectors.RUNNER,
            connector_id=instance.pk,
            app=ref,
            group=RingGroup(name=group, ring="lab"),
            intent=intent_ref(intent, "lab"),
            key=f"bench:{i}:a",
        )
        target.app_ref = {**ref.__dict__, "attributes": dict(ref.attributes)}
        target.assignment_id = done.external_id or "assigned"
        target.save()
        made.append((planes[i % len(planes)], group))
    return made


def tamper(made: list[Any], share: float = 0.01) -> int:
    import httpx

    picked = made[:: max(1, round(1 / share))]
    for plane, group in picked:
        httpx.post(f"{plane['url']}/_sim/console/devices/uninstalled", json={"group": group, "count": 1}, timeout=10)
    return len(picked)


def measure(control: Any, count: int, fresh_clients: bool = False) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fleetgate.connectors import sessions
    from fleetgate.reconcile.services import passes

    if fresh_clients:
        sessions.connector_for = lambda instance, build: build(instance)  # type: ignore[assignment]

    control.send("requests")
    before = control.recv()
    began = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        report = passes.run(actor=passes.RECONCILER)
    wall = time.perf_counter() - began
    control.send("requests")
    after = control.recv()
    requests = {p: after[p] - before[p] for p in after}
    return {
        "wall_s": round(wall, 2),
        "db_queries": len(queries),
        "db_queries_per_intent": round(len(queries) / count, 1),
        "plane_requests": requests,
        "plane_requests_per_intent": round(sum(requests.values()) / count, 1),
        "found": report.found,
        "remediated": report.remediated,
        "problems": report.problems[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--intents", type=int, default=250)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--fresh-clients", action="store_true", help="build a connector per plane call (before)")
    args = parser.parse_args()
    db = f"fg_reconcile_bench_{int(time.time())}"
    setup(db, args.sqlite)
    parent, child = mp.Pipe()
    control_parent, control_child = mp.Pipe()
    server = mp.get_context("fork").Process(target=serve, args=(child, control_child), daemon=True)
    server.start()
    planes = parent.recv()
    try:
        began = time.perf_counter()
        made = build(args.intents, planes)
        build_s = time.perf_counter() - began
        control_parent.send("settle")  # every device reports
        control_parent.recv()
        tampered = tamper(made)
        result = measure(control_parent, args.intents, args.fresh_clients)
    finally:
        control_parent.send("stop")
        server.join(timeout=10)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    scale = FULL_INTENTS / args.intents
    out = {
        "benchmark": "reconcile",
        "at": datetime.now(UTC).isoformat(),
        "database": "sqlite" if args.sqlite else "postgresql",
        "intents": args.intents,
        "connector_clients": "per call" if args.fresh_clients else "per pass",
        "devices": len(PLANES) * GROUPS_PER_PLANE * GROUP_SIZE,
        "devices_read_per_intent": GROUP_SIZE,
        "tampered_intents": tampered,
        "setup_s": round(build_s, 1),
        "peak_rss_mib": round(rss, 1),
        **result,
        "extrapolated_wall_s_at_5000": round(result["wall_s"] * scale, 1),
        "targets": {"wall_s": TARGET_WALL_S, "peak_rss_mib": TARGET_RSS_MIB},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for name in (f"reconcile-{args.intents}-{stamp}.json", "reconcile-latest.json"):
        (RESULTS / name).write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
