"""Every benchmark `make bench` runs still runs (issue 16: "the bench and its ceiling run from a clean
clone with `make bench`"): each is started as `make bench` starts it, small, into a temporary results
folder (FLEETGATE_BENCH_RESULTS), and must exit 0, print its figures and write its JSON.

A benchmark is code nothing else imports, so it breaks silently when what it drives changes (the
observe bench's artifact lost its publish when Intune began to require a detection rule). Figures are
not checked: they are measurements, never timed tests. The benchmarks make their own databases (a
fresh PostgreSQL one each, or SQLite in a temporary folder), so this runs in the SQLite pass only.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.redis_dbs import BENCHMARKS, redis_url

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("FLEETGATE_DATABASE_URL")), reason="once a CI run: the benchmarks make their own databases"
)

# (script and its small arguments, a line it prints, the JSON it writes: a glob in the results folder)
CASES = {
    "evidence": (
        ["evidence_bench.py", "--components", "40", "--findings", "20", "--rounds", "1"],
        r"verify: offline",
        "",
    ),
    "observe": (["observe_bench.py", "--devices", "300"], r"ansible\s+observe\(\) of 300 devices", ""),
    "rollouts": (["rollout_bench.py", "--rollouts", "3", "--baseline", "2"], r"", "rollouts-3-*.json"),
    "reconcile": (["reconcile_bench.py", "--intents", "3", "--sqlite"], r"", "reconcile-3-*.json"),
    "throttle": (["throttle_bench.py", "-n", "5", "--history", "10"], r"", "throttle-*.json"),
    "ledger lock": (["ledger_lock_bench.py", "-n", "20"], r"", "ledger-lock-*.json"),
    "load": (
        ["run.py", "--stages", "3", "--duration", "4", "--workers", "1", "--threads", "2"],
        r"Seeded 3 applications",
        "users-3-*.json",
    ),
    "ceiling": (
        ["ceiling_ab.py", "--duration", "1", "--warmup", "0", "--rounds", "2", "--connections", "2", "--writers", "1"],
        r"ratio",
        "ceiling-*.json",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_each_benchmark_runs_small_and_writes_its_results(case: str, tmp_path: Path) -> None:
    args, printed, written = CASES[case]
    env = {**os.environ, "FLEETGATE_BENCH_RESULTS": str(tmp_path / "results")}
    env["FLEETGATE_BENCH_REDIS"] = redis_url(BENCHMARKS)  # not the other pass's databases
    for name in ("FLEETGATE_DATABASE_URL", "FLEETGATE_REDIS_URL", "FLEETGATE_DATA_DIR", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)  # each benchmark sets up its own, as under `make bench`
    committed = sorted(BENCH.glob("results/*"))
    done = subprocess.run(
        [sys.executable, str(BENCH / args[0]), *args[1:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=420,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    if printed:
        assert re.search(printed, output), output[-4000:]
    if written:
        assert list((tmp_path / "results").glob(written)), (sorted(os.listdir(tmp_path)), output[-2000:])
    assert sorted(BENCH.glob("results/*")) == committed, "a smoke run wrote into bench/results"
