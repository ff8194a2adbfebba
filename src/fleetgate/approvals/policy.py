"""Pure CAB policy: quorum by blast radius, approval lifetimes, conditions checked against the ring
plan and the ring policy, and the promotion decision's shape. No ORM, so it tests in isolation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fleetgate.core.validation import Issues

QUORUM = {"critical_infrastructure": 3, "business_critical": 2, "productivity": 1, "non_critical": 1}
DEFAULT_APPROVAL_DAYS = 30
MAX_APPROVAL_DAYS = 90
EXCEPTION_MAX_DAYS = 90  # an exception lives at most 90 days; an extension at most 90 days past the original
EXCEPTION_REMINDER = timedelta(days=14)
BREAKGLASS_MAX_HOURS = 4
BREAKGLASS_REVIEW_WITHIN = timedelta(hours=24)
CONDITION_FIELDS = ("max_ring", "min_success_threshold", "min_soak_hours", "monitoring_window_hours")


def quorum_for(blast_radius_class: str) -> int:
    return QUORUM.get(blast_radius_class, 1)


def ring_index(policy_document: dict[str, Any], ring: str) -> int:
    for step in policy_document["rings"]:
        if step["name"] == ring:
            return int(step["id"])
    raise KeyError(ring)


def cab_gate_index(policy_document: dict[str, Any]) -> int:
    """The first ring that needs CAB when risk requires it (pilot in policy 1.0: 'no ring past canary')."""
    gated = [int(r["id"]) for r in policy_document["rings"] if "cab_required_if_risk_above" in r]
    return min(gated) if gated else 0


def approval_lifetime(issues: Issues, days: int | None) -> timedelta:
    value = DEFAULT_APPROVAL_DAYS if days is None else days
    if not 1 <= value <= MAX_APPROVAL_DAYS:
        issues.add("expires_in_days", "range", f"An approval lasts 1..{MAX_APPROVAL_DAYS} days (policy); got {value}.")
    return timedelta(days=value)


def check_conditions(
    issues: Issues, conditions: dict[str, Any], ring_plan: list[dict[str, Any]], policy_document: dict[str, Any]
) -> dict[str, Any]:
    """Conditions must be enforceable on this intent: a ring of its plan, and stricter than policy."""
    unknown = sorted(set(conditions) - set(CONDITION_FIELDS))
    for name in unknown:
        issues.add(f"conditions.{name}", "unknown-field", f"Use only: {', '.join(CONDITION_FIELDS)}.")
    given = {k: v for k, v in conditions.items() if k in CONDITION_FIELDS and v is not None}
    if not given:
        issues.add(
            "conditions", "required", f"A conditional approval names at least one of: {', '.join(CONDITION_FIELDS)}."
        )
        return {}
    planned = [step["ring"] for step in ring_plan]
    gate = cab_gate_index(policy_document)
    rings = {r["name"]: r for r in policy_document["rings"]}
    constrained = [rings[name] for name in planned if name in rings and int(rings[name]["id"]) >= gate]
    if "max_ring" in given:
        if given["max_ring"] not in planned:
            issues.add(
                "conditions.max_ring",
                "in-ring-plan",
                f"'{given['max_ring']}' is not a ring of this intent's plan ({', '.join(planned)}).",
            )
        else:
            top = ring_index(policy_document, given["max_ring"])
            constrained = [r for r in constrained if int(r["id"]) <= top]
    threshold = given.get("min_success_threshold")
    if threshold is not None:
        floor = max((float(r["success_threshold"]) for r in constrained), default=0.0)
        if not isinstance(threshold, int | float) or not floor < float(threshold) <= 1.0:
            issues.add(
                "conditions.min_success_threshold",
                "stricter-than-policy",
                f"Must be above the policy threshold of the gated rings ({floor}) and at most 1.0; got {threshold}.",
            )
    soak = given.get("min_soak_hours")
    if soak is not None:
        floor_soak = max((int(r["min_soak_hours"]) for r in constrained), default=0)
        if not isinstance(soak, int) or not floor_soak < soak <= 24 * 30:
            issues.add(
                "conditions.min_soak_hours",
                "stricter-than-policy",
                f"Must exceed the policy soak of the gated rings ({floor_soak} h) and be at most 720 h; got {soak}.",
            )
    window = given.get("monitoring_window_hours")
    if window is not None and (not isinstance(window, int) or not 1 <= window <= 24 * 30):
        issues.add("conditions.monitoring_window_hours", "range", f"Must be 1..720 hours; got {window}.")
    return given


def strictest(conditions: list[dict[str, Any]], policy_document: dict[str, Any]) -> dict[str, Any]:
    """Several conditional approvals combine to the strictest of each condition."""
    out: dict[str, Any] = {}
    for item in conditions:
        if "max_ring" in item:
            current = out.get("max_ring")
            if current is None or ring_index(policy_document, item["max_ring"]) < ring_index(policy_document, current):
                out["max_ring"] = item["max_ring"]
        for name in ("min_success_threshold", "min_soak_hours", "monitoring_window_hours"):
            if name in item:
                out[name] = max(out.get(name, item[name]), item[name])
    return out


@dataclass
class Decision:
    """What the rollout engine gets back: may it enter the ring, why not, and what it must enforce."""

    ok: bool
    reasons: list[str] = field(default_factory=list)
    conditions: dict[str, Any] = field(default_factory=dict)
    skip_soak: bool = False  # an active break-glass skips soak time, and nothing else

    def refuse(self, reason: str) -> None:
        self.ok = False
        self.reasons.append(reason)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "reasons": self.reasons, "conditions": self.conditions, "skip_soak": self.skip_soak}
