"""Gate statistics of ring policy 1.1: a count rule for small rings, the Wilson lower bound for large.

Pure functions of (successes, failures, ring gate definition, threshold). ``n`` counts only devices
that reported success or failure; pending and not-reported devices are not in ``n``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from fleetgate.rollouts.states import Outcome

Z_BY_CONFIDENCE = {0.90: 1.644854, 0.95: 1.959964, 0.99: 2.575829}


@dataclass(frozen=True)
class SuccessStatistic:
    statistic: str
    outcome: Outcome
    n: int
    successes: int
    failures: int
    threshold: float
    min_sample: int
    lower: float | None = None
    upper: float | None = None
    max_failures: int | None = None
    why: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def wilson(successes: int, n: int, z: float) -> tuple[float, float]:
    """The Wilson score interval on successes / n (two-sided, z for the confidence)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - margin), min(1.0, centre + margin)


def evaluate(successes: int, failures: int, gate: dict[str, Any], threshold: float) -> SuccessStatistic:
    if successes < 0 or failures < 0:
        raise ValueError("counts are never negative")
    kind = gate.get("statistic")
    if kind == "count":
        return _count(successes, failures, gate, threshold)
    if kind == "wilson_lower_bound":
        return _wilson(successes, failures, gate, threshold)
    raise ValueError(f"unknown gate statistic {kind!r}; ring policy 1.1 defines count and wilson_lower_bound")


def _count(successes: int, failures: int, gate: dict[str, Any], threshold: float) -> SuccessStatistic:
    n = successes + failures
    min_sample = int(gate["min_sample"])
    rate = gate.get("max_failure_rate", 0)
    bound = int(gate["max_failures"]) if "max_failures" in gate else math.floor(float(rate) * n)
    if failures > bound:
        outcome, why = Outcome.FAIL, f"{failures} failures exceed the bound of {bound}"
    elif n >= min_sample:
        outcome, why = Outcome.PASS, f"{failures} <= {bound} failures with n = {n} >= {min_sample}"
    else:
        outcome, why = Outcome.INCONCLUSIVE, f"n = {n} < min_sample {min_sample}"
    return SuccessStatistic(
        "count", outcome, n, successes, failures, threshold, min_sample, max_failures=bound, why=why
    )


def _wilson(successes: int, failures: int, gate: dict[str, Any], threshold: float) -> SuccessStatistic:
    n = successes + failures
    min_sample = int(gate["min_sample"])
    confidence = float(gate.get("confidence", 0.95))
    z = Z_BY_CONFIDENCE.get(confidence)
    if z is None:
        raise ValueError(f"confidence {confidence} is not one of {sorted(Z_BY_CONFIDENCE)}")
    lower, upper = wilson(successes, n, z)
    if n >= min_sample and lower >= threshold:
        outcome, why = Outcome.PASS, f"lower bound {lower:.4f} >= {threshold}"
    elif n > 0 and upper < threshold:
        outcome, why = Outcome.FAIL, f"upper bound {upper:.4f} < {threshold}"
    elif n < min_sample:
        outcome, why = Outcome.INCONCLUSIVE, f"n = {n} < min_sample {min_sample}"
    else:
        outcome, why = Outcome.INCONCLUSIVE, f"interval [{lower:.4f}, {upper:.4f}] straddles {threshold}"
    return SuccessStatistic(
        "wilson_lower_bound",
        outcome,
        n,
        successes,
        failures,
        threshold,
        min_sample,
        round(lower, 4),
        round(upper, 4),
        why=why,
    )
