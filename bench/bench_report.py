"""What a stage measured: locust's per-endpoint stats, plus where the CPU and the database went."""

from __future__ import annotations

import csv
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import psycopg

READ_PREFIX = "GET "
READ_P95_TARGET_MS = 500.0
COLUMNS = ("rps", "p50_ms", "p95_ms", "p99_ms", "requests", "errors")


def _num(value: str) -> float:
    try:
        return float(value)
    except ValueError:  # locust writes "N/A" for an endpoint without samples
        return 0.0


def endpoint_stats(csv_prefix: Path) -> dict[str, dict[str, float]]:
    """Per endpoint (and "Aggregated"): requests/s, p50, p95, p99 (ms), request and error counts."""
    rows: dict[str, dict[str, float]] = {}
    with Path(f"{csv_prefix}_stats.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            rows[row["Name"]] = {
                "rps": round(_num(row["Requests/s"]), 1),
                "p50_ms": _num(row["50%"]),
                "p95_ms": _num(row["95%"]),
                "p99_ms": _num(row["99%"]),
                "requests": int(_num(row["Request Count"])),
                "errors": int(_num(row["Failure Count"])),
            }
    return rows


def failures(csv_prefix: Path) -> list[dict[str, str]]:
    with Path(f"{csv_prefix}_failures.csv").open(newline="") as handle:
        return [
            {"endpoint": r["Name"], "error": r["Error"], "occurrences": r["Occurrences"]}
            for r in csv.DictReader(handle)
        ]


class Monitor:
    """Samples CPU per process group (in % of one core) and database sessions every `interval` s."""

    def __init__(self, groups: dict[str, list[int]], dsn: str, dbname: str, interval: float = 2.0) -> None:
        self.roots = groups
        self.dsn, self.dbname, self.interval = dsn, dbname, interval
        self.samples: list[dict[str, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _group_times(self) -> dict[str, dict[int, float]]:
        times: dict[str, dict[int, float]] = {}
        for name, pids in self.roots.items():
            procs: list[psutil.Process] = []
            for pid in pids:
                try:
                    root = psutil.Process(pid)
                    procs += [root, *root.children(recursive=True)]
                except psutil.Error:
                    continue
            if name == "postgres":  # the server's own processes and the backends of our database
                procs = [p for p in psutil.process_iter(["name", "cmdline"]) if self._ours(p.info)]
            times[name] = {}
            for proc in procs:
                try:
                    cpu = proc.cpu_times()
                    times[name][proc.pid] = cpu.user + cpu.system
                except psutil.Error:
                    continue
        return times

    def _ours(self, info: dict[str, Any]) -> bool:
        line = " ".join(info["cmdline"] or [])
        return (info["name"] or "").startswith("postgres") and (self.dbname in line or "(" not in line)

    def _run(self) -> None:
        query = (
            "SELECT count(*), count(*) FILTER (WHERE state = 'active'), "
            "count(*) FILTER (WHERE wait_event_type = 'Lock') FROM pg_stat_activity WHERE datname = %s"
        )
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            before, t0 = self._group_times(), time.monotonic()
            psutil.cpu_percent(None)
            while not self._stop.wait(self.interval):
                now, t1 = self._group_times(), time.monotonic()
                sample: dict[str, float] = {"system_cpu_pct": psutil.cpu_percent(None)}
                for name, pids in now.items():
                    used = sum(t - before[name][pid] for pid, t in pids.items() if pid in before[name])
                    sample[f"{name}_cpu_pct"] = 100.0 * used / (t1 - t0)
                # Whatever else ran on the machine meanwhile (other jobs, the kernel, this monitor).
                ours = sum(sample[f"{name}_cpu_pct"] for name in now)
                sample["other_cpu_pct"] = max(0.0, sample["system_cpu_pct"] * (psutil.cpu_count() or 1) - ours)
                row = conn.execute(query, (self.dbname,)).fetchone() or (0, 0, 0)
                sample.update(db_sessions=row[0], db_active=row[1], db_lock_waits=row[2])
                self.samples.append(sample)
                before, t0 = now, t1

    def __enter__(self) -> Monitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def summary(self) -> dict[str, float]:
        if not self.samples:
            return {}
        keys = self.samples[0].keys()
        out = {f"avg_{k}": round(sum(s[k] for s in self.samples) / len(self.samples), 1) for k in keys}
        out.update({f"max_{k}": round(max(s[k] for s in self.samples), 1) for k in keys})
        return out


REFUSED = " (refused "  # locustfile.py names a fast 503/429 refusal "<endpoint> (refused 503)"
SERVED_P95_TARGET_MS = {200: 100.0, 1000: 500.0}  # issue 16: read-heavy mix at 200 users; 1,000 users


AGGREGATED = "Aggregated"  # locust's row over every name, refusals included


def served_and_refused(endpoints: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Per endpoint: served/s with its latency (every answer the server chose to serve), refused/s (fast
    503 overloaded or 429, with Retry-After) with the refusals' own p95, and errors (connection failures
    or unexpected statuses); then "Aggregated", summed over the endpoints.

    Locust's own Aggregated row counts refusals as served, so it is not used when anything was refused:
    the rates are summed and the served p95 is given as a bound, `p95_at_most_ms`, the slowest endpoint's
    p95 (no more than 5 % of any endpoint's answers, so of all of them, are slower); the per-request
    latencies that an exact figure needs are not in locust's CSV."""
    out: dict[str, dict[str, float]] = {}
    for name, row in endpoints.items():
        if name == AGGREGATED:
            continue
        base = name.split(REFUSED)[0]
        entry = out.setdefault(base, {"served_rps": 0.0, "refused_rps": 0.0, "refused": 0, "errors": 0})
        entry["errors"] += row["errors"]
        if REFUSED in name:
            entry["refused_rps"] = round(entry["refused_rps"] + row["rps"], 1)
            entry["refused"] += row["requests"] - row["errors"]
            entry["refused_p95_ms"] = max(entry.get("refused_p95_ms", 0.0), row["p95_ms"])
        else:
            served = row["requests"] - row["errors"]
            entry.update(served_rps=row["rps"], served=served, p50_ms=row["p50_ms"], p95_ms=row["p95_ms"])
            entry["p99_ms"] = row["p99_ms"]
    if out:
        out[AGGREGATED] = _aggregated(out, endpoints.get(AGGREGATED))
    return out


def _aggregated(rows: dict[str, dict[str, float]], locust: dict[str, float] | None) -> dict[str, float]:
    total: dict[str, float] = {
        key: round(sum(r.get(key, 0) for r in rows.values()), 1)
        for key in ("served_rps", "served", "refused_rps", "refused", "errors")
    }
    if total["refused"] == 0 and locust is not None:
        total.update(p50_ms=locust["p50_ms"], p95_ms=locust["p95_ms"], p99_ms=locust["p99_ms"])
    else:
        total["p95_at_most_ms"] = max((r.get("p95_ms", 0.0) for r in rows.values()), default=0.0)
    if any("refused_p95_ms" in r for r in rows.values()):
        total["refused_p95_ms"] = max(r.get("refused_p95_ms", 0.0) for r in rows.values())
    return total


def targets(stages: dict[str, dict[str, Any]], users_max: int) -> dict[str, Any]:
    """The issue's targets per stage: zero errors (refusals are not errors), and the p95 of what was
    served under the stage's bound (100 ms at 200 users, 500 ms at 1,000; 500 ms for any other)."""
    out: dict[str, Any] = {"stage": f"users-{users_max}"}
    for name, stage in stages.items():
        rows = {k: v for k, v in served_and_refused(stage["endpoints"]).items() if k != AGGREGATED}
        errors = int(sum(v["errors"] for v in rows.values()))
        bound = SERVED_P95_TARGET_MS.get(stage["users"], READ_P95_TARGET_MS)
        p95 = {k: v.get("p95_ms", 0.0) for k, v in rows.items()}
        out[name] = {
            "zero_errors": {"held": errors == 0, "errors": errors},
            f"served_p95_under_{bound:.0f}ms": {"held": bool(p95) and all(v <= bound for v in p95.values()), **p95},
            "refused": int(sum(v["refused"] for v in rows.values())),
        }
    return out


def _p95(row: dict[str, float]) -> str:
    """The served p95 as printed: "≤N" where only a bound is known (see served_and_refused)."""
    return f"≤{row['p95_at_most_ms']:.0f}" if "p95_at_most_ms" in row else f"{row.get('p95_ms', 0):.0f}"


def print_stage(name: str, result: dict[str, Any]) -> None:
    print(f"\n== {name}: {result['users']} users, spawn {result['spawn_rate']}/s, {result['duration_s']} s ==")
    print(f"{'endpoint':<58}{'req/s':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'requests':>10}{'errors':>8}")
    for endpoint, row in result["endpoints"].items():
        print(
            f"{endpoint:<58}{row['rps']:>8.1f}{row['p50_ms']:>8.0f}{row['p95_ms']:>8.0f}{row['p99_ms']:>8.0f}"
            f"{row['requests']:>10}{row['errors']:>8}"
        )
    print(f"{'served / refused':<58}{'served/s':>9}{'p95':>7}{'refused/s':>10}{'refused p95':>12}{'errors':>8}")
    for endpoint, row in served_and_refused(result["endpoints"]).items():
        print(
            f"{endpoint:<58}{row['served_rps']:>9.1f}{_p95(row):>7}{row['refused_rps']:>10.1f}"
            f"{row.get('refused_p95_ms', 0):>12.0f}{row['errors']:>8.0f}"
        )
    for failure in result["failures"][:10]:
        print(f"  error x{failure['occurrences']}: {failure['endpoint']}: {failure['error'][:150]}")
    res = result["resources"]
    if res:
        print(
            f"  CPU (% of one core, avg/max): gunicorn {res['avg_gunicorn_cpu_pct']}/{res['max_gunicorn_cpu_pct']}, "
            f"postgres {res['avg_postgres_cpu_pct']}/{res['max_postgres_cpu_pct']}, "
            f"locust {res['avg_locust_cpu_pct']}/{res['max_locust_cpu_pct']}, "
            f"other {res['avg_other_cpu_pct']}/{res['max_other_cpu_pct']}; "
            f"machine {res['avg_system_cpu_pct']}% of all {psutil.cpu_count()} cores"
        )
        print(
            f"  DB sessions max {res['max_db_sessions']:.0f}, active avg/max {res['avg_db_active']}/"
            f"{res['max_db_active']:.0f}, waiting on a lock avg/max {res['avg_db_lock_waits']}/"
            f"{res['max_db_lock_waits']:.0f}"
        )
    for warning in result["locust_warnings"]:
        print(f"  locust: {warning}")
