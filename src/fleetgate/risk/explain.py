"""Compute, explain and replay an assessment from its stored inputs. Pure except for reading rows."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

from fleetgate.core.errors import ReplayMismatch
from fleetgate.risk import factors, rubric, scoring
from fleetgate.risk.models import RiskAssessment


def compute(document: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """inputs = {"facts": ..., "declared": {factor: {option, justification}}} -> stored result shape."""
    model = rubric.load(document)
    facts = factors.Facts.from_dict(inputs["facts"])
    values = {**factors.derive(model, facts), **factors.declared(model, inputs["declared"])}
    result = scoring.score(model, values, privileged_tooling=facts.privileged_tooling)
    return {
        "raw": f"{result.raw:f}",
        "score": result.score,
        "cab_required": result.cab_required,
        "reasons": result.reasons,
        "factors": {
            name: {
                **values[name].as_dict(),
                "weight": str(model.factors[name].weight),
                "contribution": f"{result.contributions[name]:f}",
            }
            for name in model.factors
        },
    }


def inputs_digest(inputs: dict[str, Any]) -> str:
    return hashlib.sha256(rfc8785.dumps(inputs)).hexdigest()


def replay(row: RiskAssessment) -> dict[str, Any]:
    """Recompute from the stored inputs and rubric; raise ReplayMismatch naming every difference."""
    if inputs_digest(row.inputs) != row.inputs_sha256:
        raise ReplayMismatch(
            f"Assessment {row.pk}: stored inputs do not hash to the recorded digest.", assessment=str(row.pk)
        )
    again = compute(row.risk_model.document, row.inputs)
    stored = {
        "raw": row.raw,
        "score": row.score,
        "cab_required": row.cab_required,
        "reasons": row.reasons,
        "factors": row.factors,
    }
    differences = [key for key in stored if stored[key] != again[key]]
    if differences:
        raise ReplayMismatch(
            f"Assessment {row.pk} recomputes differently in: {', '.join(differences)} "
            f"(stored score {row.score}, recomputed {again['score']}).",
            assessment=str(row.pk),
            differences=differences,
        )
    return again


def lines(row: RiskAssessment) -> list[str]:
    cab = "yes" if row.cab_required else "no"
    out = [f"Risk {row.score} (raw {row.raw}) with rubric {row.risk_model_id}; CAB required: {cab}"]
    out += [f"  because {reason}" for reason in row.reasons]
    for name, f in row.factors.items():
        out.append(
            f"  {name:24} {f['source']:8} {f['option']:40} {f['value']:>5} x {f['weight']:>3} "
            f"= {f['contribution']:>6}  {f['rationale']}"
        )
    return out
