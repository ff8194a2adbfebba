"""Where every benchmark writes its JSON: bench/results, or the folder FLEETGATE_BENCH_RESULTS names
(tests/worker/test_bench_smoke.py runs each benchmark small into a temporary one)."""

from __future__ import annotations

import os
from pathlib import Path

RESULTS = Path(os.environ.get("FLEETGATE_BENCH_RESULTS") or Path(__file__).resolve().parent / "results")
