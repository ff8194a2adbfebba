"""The ceiling A/B: Fleetgate's read endpoints against a minimal DRF app, in the same run (issue 16).

Both servers run side by side on one fresh PostgreSQL database with `fleetgate up`'s gunicorn
settings (gthread, 2 workers x 8 threads, Fleetgate's gunicorn config); the ceiling (bench/ceiling/)
lists 20 rows through a ModelSerializer with no authentication or middleware. A closed loop with a
fixed number of connections (`wrk` when installed, else keep-alive httpx clients in threads) loads
one endpoint at a time, alternating ceiling and Fleetgate endpoints for several rounds; each run
prints the load average before it, req/s, p50/p95 and the servers' CPU per request, and each
Fleetgate endpoint's ratio to the ceiling of its round. Figures are indicative on a shared machine.

    .venv/bin/python bench/ceiling_ab.py --duration 8 --rounds 2 --connections 16
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bench_seed
import httpx
import psutil
import psycopg
import run

ROOT, BIN, RESULTS, PG = run.ROOT, run.BIN, run.RESULTS, run.PG
SEED_INTENTS = 40


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per run (default 8)")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of unmeasured load before each run")
    parser.add_argument("--rounds", type=int, default=3, help="ceiling/Fleetgate alternations (at least 2)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent keep-alive connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server (as `fleetgate up`)")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker (as `fleetgate up`)")
    parser.add_argument("--loader", choices=("auto", "wrk", "httpx"), default="auto")
    parser.add_argument("--writers", type=int, default=8, help="concurrent writers in the write runs (httpx)")
    parser.add_argument("--no-writes", dest="writes", action="store_false", help="reads only")
    return parser.parse_args()


def gunicorn(app: str, port: int, args: argparse.Namespace) -> list[str]:
    """`fleetgate up`'s web command line (src/fleetgate/cli/main.py), for either app."""
    cmd = [str(BIN / "python"), "-m", "gunicorn", app, "--config", "python:fleetgate.api.gunicorn_conf"]
    cmd += ["--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)]  # the config: gthread + admission
    return [*cmd, "--threads", str(args.threads), "--graceful-timeout", "10"]


def wait_for(url: str, proc: subprocess.Popen[bytes], headers: dict[str, str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before {url} answered")
        try:
            if httpx.get(url, headers=headers, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a gunicorn master and its workers so far."""
    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def closed_loop(
    loop: Callable[[int], None],
    stop: threading.Event,
    latencies: list[list[float]],
    errors: list[int],
    seconds: float,
) -> dict[str, Any]:
    """Run `loop(i)` on one thread per connection for `seconds`, then sum up what they recorded."""
    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(len(errors))]
    began = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(timeout=35)
    elapsed = time.perf_counter() - began
    done = sorted(x for part in latencies for x in part)
    p50 = done[len(done) // 2] * 1000 if done else 0.0
    return {"requests": len(done), "errors": sum(errors), "rps": len(done) / elapsed, "p50_ms": p50}


def httpx_load(url: str, headers: dict[str, str], seconds: float, connections: int) -> dict[str, Any]:
    """A closed loop: each connection sends its next request as soon as the previous one answered."""
    stop = threading.Event()
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections

    def loop(i: int) -> None:
        with httpx.Client(headers=headers, timeout=30) as client:
            while not stop.is_set():
                began = time.perf_counter()
                try:
                    ok = client.get(url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies[i].append(time.perf_counter() - began)
                else:
                    errors[i] += 1

    return closed_loop(loop, stop, latencies, errors, seconds)


def write_load(target: dict[str, Any], seconds: float, connections: int) -> dict[str, Any]:
    """A closed loop of writes, one per connection at a time (so `connections` concurrent writers):
    a create with a fresh body each time, or an update of the connection's own intent with its
    current ETag (If-Match), as a client of either API does."""
    stop = threading.Event()
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections

    def loop(i: int) -> None:
        with httpx.Client(headers=target["headers"], timeout=30) as client:
            etag = ""
            if target["kind"] == "update":
                created = client.post(target["create_url"], json=target["body"]())
                etag, url = created.headers.get("ETag", ""), f"{target['create_url']}{created.json()['id']}/"
            while not stop.is_set():
                began = time.perf_counter()
                try:
                    if target["kind"] == "update":
                        response = client.patch(url, json={"title": f"edit {began}"}, headers={"If-Match": etag})
                        etag = response.headers.get("ETag", etag)
                    else:
                        response = client.post(target["url"], json=target["body"]())
                    ok = response.status_code in (200, 201)
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies[i].append(time.perf_counter() - began)
                else:
                    errors[i] += 1

    return closed_loop(loop, stop, latencies, errors, seconds)


class LockWaits:
    """Average database sessions of the benchmark database waiting on a lock (the ledger head row)."""

    def __init__(self, db: str) -> None:
        self.db, self.samples, self.stop = db, [], threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'"
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            while not self.stop.wait(0.25):
                self.samples.append(int((conn.execute(query, [self.db]).fetchone() or (0,))[0]))

    def __enter__(self) -> LockWaits:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)

    @property
    def average(self) -> float:
        return round(sum(self.samples) / len(self.samples), 1) if self.samples else 0.0


def wrk_load(url: str, headers: dict[str, str], seconds: float, connections: int) -> dict[str, Any]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", url]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {
        "requests": total,
        "errors": int(bad.group(1)) if bad else 0,
        "rps": rps,
        "p50_ms": float(p50.group(1)) * scale[p50.group(2)] if p50 else 0.0,
    }


def measure(target: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    if "kind" in target:  # a write: the httpx loop (bodies and ETags change per request)
        loadavg = os.getloadavg()
        cpu_before = cpu_seconds(target["pid"])
        with LockWaits(target["db"]) as waits:
            result = write_load(target, args.duration, args.writers)
        cpu = cpu_seconds(target["pid"]) - cpu_before
        result["db_sessions_waiting_on_a_lock_avg"] = waits.average
        result["server_cpu_ms_per_request"] = cpu * 1000 / result["requests"] if result["requests"] else None
        result["loadavg_before"] = [round(x, 2) for x in loadavg]
        return result
    load = wrk_load if args.loader == "wrk" else httpx_load
    if args.warmup > 0:
        load(target["url"], target["headers"], args.warmup, args.connections)
    loadavg = os.getloadavg()
    cpu_before = cpu_seconds(target["pid"])
    result = load(target["url"], target["headers"], args.duration, args.connections)
    cpu = cpu_seconds(target["pid"]) - cpu_before
    result["server_cpu_ms_per_request"] = cpu * 1000 / result["requests"] if result["requests"] else None
    result["loadavg_before"] = [round(x, 2) for x in loadavg]
    return result


def setup(args: argparse.Namespace, stack: ExitStack, stamp: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A fresh database; Fleetgate migrated, demo-seeded and serving; the ceiling seeded and serving."""
    db = f"fleetgate_ceiling_{stamp.lower()}_{os.getpid()}"
    tmp = Path(tempfile.mkdtemp(prefix="fleetgate-ceiling-"))
    stack.callback(shutil.rmtree, tmp, ignore_errors=True)
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    stack.callback(run.drop_database, db)
    env = {
        **os.environ,
        "FLEETGATE_DATA_DIR": str(tmp / "data"),
        "FLEETGATE_DATABASE_URL": f"{PG}/{db}",
        "FLEETGATE_THROTTLE_USER": "1000000/min",  # measured, never refused
        "FLEETGATE_WEB_MAX_IN_FLIGHT": "0",  # capacity, not admission: the ceiling has no admission either
        "FLEETGATE_WEB_QUEUE_WAIT_MS": "0",
        "FLEETGATE_LOG_LEVEL": "WARNING",
        "FLEETGATE_DB_POOL_MAX": str(args.threads + 2),
        "FLEETGATE_REDIS_URL": run.fresh_redis(),  # as deployed; the ceiling has no throttle or cache at all
        "DJANGO_SETTINGS_MODULE": "fleetgate.settings",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
    }
    (tmp / "metrics").mkdir()
    log = tmp / "setup.log"
    print(f"Database {db}; migrating and seeding ...", flush=True)
    run.sh([str(BIN / "fleetgate"), "migrate"], env, log)
    run.sh([str(BIN / "fleetgate"), "seed-demo"], env, log)
    tokens = {}
    for user in run.TOKENS_PER_ROLE:  # the users bench_seed.seed works as, one token each
        create = [str(BIN / "fleetgate"), "token", "create", "--user", user, "--name", "ceiling-ab"]
        tokens[user] = run.sh(create, env, log).strip().splitlines()[-1]
    ceiling_env = {**env, "DJANGO_SETTINGS_MODULE": "ceiling.settings", "PYTHONPATH": str(ROOT / "bench")}
    seed = "import django; django.setup(); from ceiling.app import seed; seed()"
    run.sh([str(BIN / "python"), "-c", seed], ceiling_env, log)

    fg_port, ceiling_port = run.free_port(), run.free_port()
    fg = run.start(gunicorn("fleetgate.wsgi:application", fg_port, args), env, tmp / "fleetgate.log", stack)
    ceiling = run.start(gunicorn("ceiling.wsgi:application", ceiling_port, args), ceiling_env, tmp / "c.log", stack)
    fg_url, ceiling_url = f"http://127.0.0.1:{fg_port}", f"http://127.0.0.1:{ceiling_port}"
    auth = {"Authorization": f"Bearer {tokens['publisher']}"}
    wait_for(f"{fg_url}/health/ready", fg, {})
    wait_for(f"{ceiling_url}/rows/", ceiling, {})
    data = bench_seed.seed(fg_url, tokens, 1, SEED_INTENTS, stamp.lower())
    api = f"{fg_url}/api/v1"
    reads = {
        "intent list": f"{api}/intents/?page_size=20",
        "one intent": f"{api}/intents/{data['intents'][0]}/",
        "applications": f"{api}/applications/",
        "ledger page": f"{api}/ledger/?page_size=20",
        "dashboard": f"{api}/dashboard/",
    }
    targets = {"ceiling": {"url": f"{ceiling_url}/rows/", "headers": {}, "pid": ceiling.pid}}
    for name, url in reads.items():
        wait_for(url, fg, auth)
        targets[name] = {"url": url, "headers": auth, "pid": fg.pid}
    app = data["apps"][0]

    def intent_body() -> dict[str, Any]:
        return {
            "name": f"ab-{uuid.uuid4().hex[:16]}",
            "title": "Ceiling A/B write",
            "application": app["id"],
            "version": app["version"],
            "target_boundary": "acme",
            "target_business_unit": "finance",
            "target_site_classes": ["online"],
            "ring_plan": [{"ring": "lab", "target_group": "G", "device_count": 5}],
            "rollback_plan": {"strategy": "uninstall"},
        }

    def row_body() -> dict[str, Any]:
        return {"name": f"row-{uuid.uuid4().hex[:12]}", "title": "Ceiling write", "ring_plan": []}

    db = env["FLEETGATE_DATABASE_URL"].rsplit("/", 1)[1]
    writes = {
        "ceiling create": {"url": f"{ceiling_url}/rows/new/", "headers": {}, "pid": ceiling.pid, "body": row_body},
        "intent create": {"url": f"{api}/intents/", "headers": auth, "pid": fg.pid, "body": intent_body},
        "intent update": {"url": "", "create_url": f"{api}/intents/", "headers": auth, "pid": fg.pid},
    }
    writes["intent update"]["body"] = intent_body
    for name, target in writes.items():
        target.update(kind="update" if name == "intent update" else "create", db=db)
    return targets, writes


def _round(n: int, targets: dict[str, Any], ceiling_name: str, args: argparse.Namespace) -> dict[str, Any]:
    """One alternation: the ceiling, then each Fleetgate endpoint, each printed with its ratio."""
    results: dict[str, Any] = {}
    for name, target in targets.items():
        r = results[name] = measure(target, args)
        ceiling = results[ceiling_name]["rps"]
        r["ratio"] = round(r["rps"] / ceiling, 3) if ceiling else None
        cpu = r["server_cpu_ms_per_request"]
        waits = f" {r['db_sessions_waiting_on_a_lock_avg']:>10.1f}" if "db_sessions_waiting_on_a_lock_avg" in r else ""
        print(
            f"{n:>5}  {name:<14} {' '.join(f'{x:.2f}' for x in r['loadavg_before']):>16} {r['rps']:>8.1f}"
            f" {r['p50_ms']:>7.1f} {cpu if cpu is not None else float('nan'):>10.2f} {r['ratio'] or 0:>6.2f}{waits}"
            + (f"  ({r['errors']} errors)" if r["errors"] else ""),
            flush=True,
        )
    return results


def summary(rounds: list[dict[str, Any]], ceiling_name: str) -> dict[str, Any]:
    """Per endpoint over the rounds: the median ratio of req/s, and of server CPU per request (the
    ceiling's over the endpoint's: steadier on a shared machine, where req/s swings with the scheduler)."""
    out: dict[str, Any] = {}
    for name in rounds[0]:
        if name == ceiling_name:
            continue
        ratios = [r[name]["ratio"] for r in rounds if r[name]["ratio"] is not None]
        cpu = [
            r[ceiling_name]["server_cpu_ms_per_request"] / r[name]["server_cpu_ms_per_request"]
            for r in rounds
            if r[name]["server_cpu_ms_per_request"] and r[ceiling_name]["server_cpu_ms_per_request"]
        ]
        out[name] = {
            "ratio_median": round(statistics.median(ratios), 3) if ratios else None,
            "ratio_range": [min(ratios), max(ratios)] if ratios else None,
            "cpu_ratio_median": round(statistics.median(cpu), 3) if cpu else None,
        }
    return out


def print_summary(title: str, figures: dict[str, Any]) -> None:
    print(f"\n{title}: median over the rounds (range)   cpu ratio (ceiling ms / endpoint ms)")
    for name, f in figures.items():
        low, high = f["ratio_range"] or (0, 0)
        ratio, cpu = f["ratio_median"] or 0, f["cpu_ratio_median"] or 0
        print(f"       {name:<14} {ratio:>6.2f} ({low:.2f}-{high:.2f})   {cpu:>6.2f}")


def main() -> int:
    args = parse_args()
    if args.rounds < 2:
        raise SystemExit("--rounds must be at least 2 (an A/B alternates)")
    if args.loader == "auto":
        args.loader = "wrk" if shutil.which("wrk") else "httpx"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    rounds: list[dict[str, Any]] = []
    write_rounds: list[dict[str, Any]] = []
    with ExitStack() as stack:
        targets, writes = setup(args, stack, stamp)
        print(f"Loader {args.loader}, {args.connections} connections, {args.duration:g} s per run\n")
        head = f"{'round':>5}  {'endpoint':<14} {'load avg':>16} {'req/s':>8} {'p50 ms':>7} {'cpu ms/req':>10}"
        print(f"{head} {'ratio':>6}")
        for n in range(1, args.rounds + 1):
            rounds.append(_round(n, targets, "ceiling", args))
        if args.writes:
            print(f"\nWrites: {args.writers} concurrent writers (httpx), ratio to the bare DRF create of the round")
            print(f"{head} {'ratio':>6} {'lock waits':>10}")
            for n in range(1, args.rounds + 1):
                write_rounds.append(_round(n, writes, "ceiling create", args))
        print_summary("Reads", summary(rounds, "ceiling"))
        if write_rounds:
            print_summary("Writes", summary(write_rounds, "ceiling create"))
        print("Cleaning up (both servers, database, temp dir) ...", flush=True)
    report = {
        "timestamp": stamp,
        "host": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "loader": args.loader,
        "connections": args.connections,
        "duration_s": args.duration,
        "server": f"gthread, {args.workers} workers x {args.threads} threads (fleetgate up), PostgreSQL",
        "note": "indicative: the machine is shared; ratios are within one round",
        "rounds": rounds,
        "summary": summary(rounds, "ceiling"),
        "writers": args.writers,
        "write_rounds": write_rounds,
        "write_summary": summary(write_rounds, "ceiling create") if write_rounds else {},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    for path in (RESULTS / f"ceiling-{stamp}.json", RESULTS / "ceiling-latest.json"):
        path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"Results written to {RESULTS / f'ceiling-{stamp}.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
