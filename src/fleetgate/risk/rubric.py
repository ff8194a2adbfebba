"""The risk rubric as data: factors, weights, options and thresholds, parsed and checked."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

import rfc8785

from fleetgate.core.validation import Issues

DEFAULT_FILE = "risk-rubric-v1.json"


@dataclass(frozen=True)
class Factor:
    name: str
    weight: Decimal
    derived: bool
    options: dict[str, Decimal]
    multiplier: Decimal | None = None  # blast_radius: critical-infrastructure multiplier
    cap: Decimal = Decimal(1)


@dataclass(frozen=True)
class Rubric:
    version: str
    factors: dict[str, Factor]
    automated_max: Decimal
    privileged_tooling_always_cab: bool
    cab_required_before_ring: str

    @property
    def declared(self) -> list[str]:
        return [f for f, spec in self.factors.items() if not spec.derived]

    @property
    def derived(self) -> list[str]:
        return [f for f, spec in self.factors.items() if spec.derived]


def _decimal(value: Any) -> Decimal:
    # str() first: a JSON 0.7 must be exactly 0.7, never the binary float's expansion.
    return Decimal(str(value))


def load(document: dict[str, Any]) -> Rubric:
    """Parse a rubric document; every problem is reported (field = JSON path, rule)."""
    issues = Issues()
    if not isinstance(document.get("version"), str) or not document.get("version"):
        issues.add("version", "required", "A rubric names its version, e.g. 1.1.")
    factors: dict[str, Factor] = {}
    for name, spec in (document.get("factors") or {}).items():
        where = f"factors.{name}"
        try:
            weight = _decimal(spec["weight"])
            options = {k: _decimal(v) for k, v in spec["options"].items()}
        except (KeyError, TypeError, ArithmeticError, AttributeError):
            issues.add(where, "shape", "Each factor has a numeric weight and options {name: value}.")
            continue
        if weight < 0:
            issues.add(f"{where}.weight", "range", "Weights are >= 0.")
        for option, value in options.items():
            if not Decimal(0) <= value <= Decimal(1):
                issues.add(f"{where}.options.{option}", "range", "Option values lie in 0..1.")
        if not options:
            issues.add(f"{where}.options", "required", "A factor offers at least one option.")
        multiplier = spec.get("critical_infrastructure_multiplier")
        factors[name] = Factor(
            name=name,
            weight=weight,
            derived=bool(spec.get("derived", False)),
            options=options,
            multiplier=None if multiplier is None else _decimal(multiplier),
            cap=_decimal(spec.get("cap", 1)),
        )
    if not factors:
        issues.add("factors", "required", "A rubric has factors.")
    elif sum(f.weight for f in factors.values()) != Decimal(100):
        issues.add("factors", "weights-sum-100", "Weights must add up to 100, so a score spans 0..100.")
    thresholds = document.get("thresholds") or {}
    if "automated_max" not in thresholds:
        issues.add("thresholds.automated_max", "required", "Name the highest score that needs no CAB.")
    issues.raise_if_any("The rubric is not valid; fix the listed fields.")
    return Rubric(
        version=document["version"],
        factors=factors,
        automated_max=_decimal(thresholds["automated_max"]),
        privileged_tooling_always_cab=bool(thresholds.get("privileged_tooling_always_cab", True)),
        cab_required_before_ring=str(thresholds.get("cab_required_before_ring", "pilot")),
    )


def embedded_document(filename: str = DEFAULT_FILE) -> dict[str, Any]:
    return dict(json.loads(resources.files("fleetgate.policy").joinpath(filename).read_text()))


def digest(document: dict[str, Any]) -> str:
    return hashlib.sha256(rfc8785.dumps(document)).hexdigest()
