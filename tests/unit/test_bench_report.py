"""bench/bench_report.py's served/refused table: the Aggregated row must not count refusals as served.

The 2026-12-07 run at 1,000 users printed "Aggregated 640.5 served/s, 0.0 refused/s" while 437 of the
641 requests a second were refusals: locust's Aggregated row, which spans every name, was taken as a
served row.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def report() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_report", BENCH / "bench_report.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def row(rps: float, p95: float, requests: int, errors: int = 0) -> dict[str, float]:
    return {"rps": rps, "p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p95 * 1.2, "requests": requests, "errors": errors}


def test_refusals_are_summed_apart_and_the_served_p95_is_a_bound(report: ModuleType) -> None:
    endpoints = {
        "GET /intents/": row(100.8, 780, 18196),
        "GET /intents/ (refused 503)": row(215.4, 630, 38882),
        "POST /intents/": row(9.2, 1400, 1669, errors=2),
        "POST /intents/ (refused 503)": row(19.6, 620, 3532),
        "Aggregated": row(345.0, 740, 62279, errors=2),
    }
    table = report.served_and_refused(endpoints)
    total = table["Aggregated"]
    assert (total["served_rps"], total["refused_rps"]) == (110.0, 235.0)
    assert (total["served"], total["refused"], total["errors"]) == (18196 + 1667, 38882 + 3532, 2)
    assert "p95_ms" not in total  # locust's 740 ms mixes in the refusals
    assert (total["p95_at_most_ms"], total["refused_p95_ms"]) == (1400, 630)
    assert report._p95(total) == "≤1400"


def test_with_nothing_refused_locusts_exact_aggregate_is_kept(report: ModuleType) -> None:
    endpoints = {
        "GET /intents/": row(82.8, 77, 14849),
        "POST /intents/": row(7.4, 130, 1331),
        "Aggregated": row(90.2, 99, 16180),
    }
    total = report.served_and_refused(endpoints)["Aggregated"]
    assert (total["served_rps"], total["refused_rps"], total["p95_ms"]) == (90.2, 0.0, 99)
    assert report._p95(total) == "99"


def test_the_targets_judge_endpoints_only(report: ModuleType) -> None:
    stage = {"users": 200, "endpoints": {"GET /intents/": row(82.8, 77, 14849), "Aggregated": row(82.8, 77, 14849)}}
    verdict = report.targets({"users-200": stage}, 200)["users-200"]
    assert verdict["served_p95_under_100ms"] == {"held": True, "GET /intents/": 77}
