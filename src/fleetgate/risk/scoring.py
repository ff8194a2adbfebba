"""score = round_half_up(clamp(0, 100, sum(weight * value))). Decimal throughout: no float rounding."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fleetgate.risk.rubric import Rubric

ZERO, HUNDRED = Decimal(0), Decimal(100)


@dataclass(frozen=True)
class FactorValue:
    """One factor's chosen rubric option and the value it contributes with (after any multiplier)."""

    factor: str
    option: str
    value: Decimal
    source: str  # "derived" | "declared"
    rationale: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "option": self.option,
            "value": str(self.value),
            "source": self.source,
            "rationale": self.rationale,
        }


@dataclass(frozen=True)
class Score:
    raw: Decimal
    score: int
    contributions: dict[str, Decimal]
    cab_required: bool
    reasons: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "raw": f"{self.raw:f}",
            "score": self.score,
            "contributions": {k: str(v) for k, v in sorted(self.contributions.items())},
            "cab_required": self.cab_required,
            "reasons": self.reasons,
        }


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def clamp(value: Decimal) -> Decimal:
    return max(ZERO, min(HUNDRED, value))


def score(rubric: Rubric, values: Mapping[str, FactorValue], *, privileged_tooling: bool) -> Score:
    missing = sorted(set(rubric.factors) - set(values))
    if missing:
        raise ValueError(f"no value for factor(s) {', '.join(missing)}")
    contributions = {name: rubric.factors[name].weight * values[name].value for name in sorted(rubric.factors)}
    raw = clamp(sum(contributions.values(), ZERO))
    final = round_half_up(raw)
    reasons = []
    if final > rubric.automated_max:
        reasons.append(f"score {final} > {rubric.automated_max}: CAB before {rubric.cab_required_before_ring}")
    if privileged_tooling and rubric.privileged_tooling_always_cab:
        reasons.append("privileged tooling always needs CAB")
    return Score(raw=raw, score=final, contributions=contributions, cab_required=bool(reasons), reasons=reasons)


def option_value(rubric: Rubric, factor: str, option: str) -> Decimal:
    return rubric.factors[factor].options[option]
