"""`make bench`: a bounded load benchmark of Fleetgate on PostgreSQL, on 127.0.0.1 only.

Creates a fresh database and data directory, migrates, seeds demo data, tokens and benchmark
fixtures, starts gunicorn (gthread), runs locust headless in stages (100 users, then 1,000 users
spawned at 100/s, 3 minutes each), prints and saves the figures, and always cleans up.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import bench_paths
import bench_report
import bench_seed
import httpx
import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = bench_paths.RESULTS
PG = os.environ.get("FLEETGATE_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
# The deployed shape (README "Scaling out"): throttles, lockout and caches shared through Redis. The
# bench owns this database index and empties it before each run.
REDIS = os.environ.get("FLEETGATE_BENCH_REDIS", "redis://127.0.0.1:6379/13")
SPAWN_RATE = 100
TOKENS_PER_ROLE = {"admin": 1, "security": 1, "packager": 4, "publisher": 4}
SEED_INTENTS = 300


def parse_args() -> argparse.Namespace:
    quick = os.environ.get("FLEETGATE_BENCH_QUICK", "") not in ("", "0")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=quick, help="20 s stages (smoke run)")
    parser.add_argument("--duration", type=int, help="seconds per stage (default 180, 20 with --quick)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
    parser.add_argument("--keep-alive", type=int, default=75, help="gunicorn keep-alive seconds (as `fleetgate up`)")
    parser.add_argument("--stages", default="200,1000", help="users per stage, comma separated")
    parser.add_argument("--strict", action="store_true", help="exit 3 when a target is missed")
    args = parser.parse_args()
    args.duration = args.duration or (20 if args.quick else 180)
    args.stages = tuple(int(n) for n in args.stages.split(","))
    return args


def sh(cmd: list[str], env: dict[str, str], log: Path) -> str:
    """Run a host command; its output goes to the log, and to the screen when it fails."""
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    with log.open("a") as handle:
        handle.write(f"$ {' '.join(cmd)}\n{done.stdout}{done.stderr}\n")
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process we started, with everything it forked (it leads its own session)."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def start(cmd: list[str], env: dict[str, str], log: Path, stack: ExitStack) -> subprocess.Popen[bytes]:
    handle = stack.enter_context(log.open("ab"))
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    stack.callback(stop, proc)
    return proc


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode} before it was ready")
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url}/health/ready did not answer 200 within {timeout:.0f} s")


def run_stage(users: int, offset: int, args: argparse.Namespace, ctx: dict[str, Any]) -> dict[str, Any]:
    name, tmp = f"users-{users}", ctx["tmp"]
    prefix, log = tmp / name, tmp / f"locust-{name}.log"
    env = {**ctx["env"], "FLEETGATE_BENCH_APP_OFFSET": str(offset), "FLEETGATE_BENCH_STAGE": f"u{users}"}
    cmd = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--only-summary"]
    cmd += ["--host", ctx["url"], "-u", str(users), "-r", str(SPAWN_RATE), "-t", f"{args.duration}s"]
    cmd += ["--csv", str(prefix), "--stop-timeout", "10", "--exit-code-on-error", "0"]
    print(f"\nStage {name}: {users} users at {SPAWN_RATE}/s for {args.duration} s ...", flush=True)
    with ExitStack() as stage_stack:
        locust = start(cmd, env, log, stage_stack)
        roots = {"gunicorn": [ctx["gunicorn"].pid], "locust": [locust.pid], "postgres": []}
        with bench_report.Monitor(roots, f"{PG}/postgres", ctx["db"]) as monitor:
            code = locust.wait(timeout=args.duration + 120)
    if code != 0:
        raise RuntimeError(f"locust exited with {code}; see {log}:\n{log.read_text()[-3000:]}")
    text = log.read_text()
    warnings = sorted({m.strip() for m in re.findall(r"(CPU usage[^\n]*?)!", text)})
    return {
        "users": users,
        "spawn_rate": SPAWN_RATE,
        "duration_s": args.duration,
        "endpoints": bench_report.endpoint_stats(prefix),
        "failures": bench_report.failures(prefix),
        "resources": monitor.summary(),
        "locust_warnings": warnings,
    }


def save(stages: dict[str, Any], meta: dict[str, Any], verdict: dict[str, Any], quick: bool) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    tag = "quick-" if quick else ""
    for name, result in stages.items():
        path = RESULTS / f"{tag}{name}-{meta['timestamp']}.json"
        path.write_text(json.dumps({"stage": name, **meta, **result}, indent=2) + "\n")
    latest = RESULTS / f"latest{'-quick' if quick else ''}.json"
    latest.write_text(json.dumps({**meta, "targets": verdict, "stages": stages}, indent=2) + "\n")
    print(f"\nResults written to {latest} (and one file per stage)")


def fresh_redis() -> str:
    """The bench's Redis database, emptied (no counters or cached rows of an earlier run's database)."""
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).flushdb()
    except redis.RedisError as exc:
        raise RuntimeError(f"Redis at {REDIS} did not answer ({exc}); start it, or set FLEETGATE_BENCH_REDIS") from exc
    return REDIS


def bench(args: argparse.Namespace, stack: ExitStack) -> dict[str, Any]:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    db = f"fleetgate_bench_{stamp.lower()}_{os.getpid()}"
    tmp = Path(tempfile.mkdtemp(prefix="fleetgate-bench-"))
    stack.callback(shutil.rmtree, tmp, ignore_errors=True)
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        max_conn = int((conn.execute("SHOW max_connections").fetchone() or (100,))[0])
        conn.execute(f'CREATE DATABASE "{db}"')
    stack.callback(drop_database, db)
    # Each worker keeps its own pool; leave room for the CLI, the monitor and other clients.
    pool = max(2, min(args.threads + 2, (max_conn - 20) // args.workers))
    env = {
        **os.environ,
        "FLEETGATE_DATA_DIR": str(tmp / "data"),
        "FLEETGATE_DATABASE_URL": f"{PG}/{db}",
        "FLEETGATE_THROTTLE_USER": "1000000/min",
        "FLEETGATE_LOG_LEVEL": "WARNING",
        "FLEETGATE_DB_POOL_MAX": str(pool),
        "FLEETGATE_REDIS_URL": fresh_redis(),
        "DJANGO_SETTINGS_MODULE": "fleetgate.settings",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),  # as `fleetgate up` runs it
    }
    (tmp / "metrics").mkdir()
    setup_log = tmp / "setup.log"
    print(f"Database {db}, data dir {tmp}; migrating and seeding ...", flush=True)
    sh([str(BIN / "fleetgate"), "migrate"], env, setup_log)
    sh([str(BIN / "fleetgate"), "seed-demo"], env, setup_log)
    tokens: dict[str, list[str]] = {}
    for user, count in TOKENS_PER_ROLE.items():
        create = [str(BIN / "fleetgate"), "token", "create", "--user", user, "--name", "bench"]
        tokens[user] = [sh(create, env, setup_log).strip().splitlines()[-1] for _ in range(count)]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # Fleetgate's gunicorn config, as `fleetgate up`/`fleetgate web`: gthread with bounded admission
    gunicorn = [str(BIN / "gunicorn"), "fleetgate.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    gunicorn += ["--config", "python:fleetgate.api.gunicorn_conf"]
    gunicorn += ["--workers", str(args.workers), "--threads", str(args.threads)]
    gunicorn += ["--keep-alive", str(args.keep_alive)]
    server = start(gunicorn, env, tmp / "gunicorn.log", stack)
    wait_ready(url, server)
    started = time.monotonic()
    apps = sum(args.stages)
    data = bench_seed.seed(url, {u: t[0] for u, t in tokens.items()}, apps, SEED_INTENTS, stamp.lower())
    took = time.monotonic() - started
    print(f"Seeded {apps} applications (version, artifact, evidence) and {SEED_INTENTS} intents in {took:.0f} s")
    fixture_file = tmp / "fixtures.json"
    fixture_file.write_text(json.dumps(data))
    env.update(
        FLEETGATE_BENCH_TOKENS=",".join(tokens["publisher"]),
        FLEETGATE_BENCH_PACKAGER_TOKENS=",".join(tokens["packager"]),
        FLEETGATE_BENCH_FIXTURES=str(fixture_file),
    )
    ctx = {"tmp": tmp, "env": env, "url": url, "gunicorn": server, "db": db}
    stages: dict[str, Any] = {}
    for i, users in enumerate(args.stages):
        stages[f"users-{users}"] = run_stage(users, sum(args.stages[:i]), args, ctx)
        bench_report.print_stage(f"users-{users}", stages[f"users-{users}"])
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn died during the run:\n{(tmp / 'gunicorn.log').read_text()[-3000:]}")
    meta = {
        "timestamp": stamp,
        "quick": args.quick,
        "host": {"cpus": os.cpu_count(), "python": platform.python_version(), "postgres_max_connections": max_conn},
        "tools": {name: metadata.version(name) for name in ("locust", "gunicorn", "django", "psycopg")},
        "server": {
            "gunicorn": f"gthread, {args.workers} workers x {args.threads} threads, keep-alive {args.keep_alive} s",
            "admission": {
                k: env.get(f"FLEETGATE_{k.upper()}", "default")
                for k in ("web_max_in_flight", "web_queue_wait_ms", "web_retry_after")
            },
            "db_pool_max": pool,
        },
        "scenario": "bench/locustfile.py: list 11 : read 9 : create, assess, seal, submit, cancel 1 (80 % reads), "
        "think 0.5-2 s",
        "code": code_version(env),
    }
    verdict = bench_report.targets(stages, max(args.stages))
    save(stages, meta, verdict, args.quick)
    return verdict


def code_version(env: dict[str, str]) -> dict[str, Any]:
    """Which fleetgate the server imported, and its commit (plus whether src/ had local changes)."""
    where = [str(BIN / "python"), "-c", "import fleetgate, os; print(os.path.dirname(fleetgate.__file__))"]
    package = subprocess.run(where, env=env, capture_output=True, text=True, check=True).stdout.strip()

    def git(*cmd: str) -> str:
        return subprocess.run(["git", "-C", package, *cmd], capture_output=True, text=True).stdout.strip()

    return {"package": package, "git_commit": git("rev-parse", "HEAD"), "src_modified": bool(git("status", "-s", "."))}


def drop_database(db: str) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def main() -> int:
    args = parse_args()
    # Ctrl-C and SIGTERM both unwind through the ExitStack, which stops and removes everything
    # (set explicitly: a shell starting us in the background would have SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with ExitStack() as stack:
            verdict = bench(args, stack)
            print("Cleaning up (gunicorn, database, temp dir) ...", flush=True)
    except KeyboardInterrupt:
        print("\nInterrupted; stopped gunicorn and locust, dropped the database, removed the temp dir.")
        return 130
    held = True
    for stage, checks in verdict.items():
        if stage == "stage":
            continue
        print(f"\nTargets at {stage} ({checks['refused']} requests refused fast, not errors):")
        for check, value in checks.items():
            if isinstance(value, dict):
                held = held and value["held"]
                detail = ", ".join(f"{k} {v:.0f}" for k, v in value.items() if k != "held")
                print(f"  {check:<26} {'HELD' if value['held'] else 'MISSED'} ({detail})")
    return 3 if args.strict and not held else 0


if __name__ == "__main__":
    sys.exit(main())
