"""Every gate of ring policy 1.1 (`gates_every_transition`) as a pure function of recorded facts.

The engine gathers ``RingFacts`` (``facts.py``), these functions name each check with its inputs
and outcome, and ``verdict`` turns the outcomes into the next step. Nothing here reads the
database or the clock, so every decision can be replayed and explained.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fleetgate.rollouts import statistics
from fleetgate.rollouts.states import HOLDING, Outcome

GATES = (
    "success_rate",
    "time_to_compliance",
    "min_soak",
    "zero_security_incidents",
    "cab_approval_where_required",
    "evidence_pack_valid",
    "exceptions_unexpired",
    "rollback_validated",
    "window_open",
)


@dataclass(frozen=True)
class IncidentFact:
    id: str
    priority: str
    security: bool
    age_hours: float


@dataclass(frozen=True)
class RingFacts:
    ring: str
    ring_policy: dict[str, Any]
    halt_on: dict[str, Any]
    next_ring: str | None  # None: the last ring of the plan (passing completes the rollout)
    installed: int
    failed: int
    pending: int
    elapsed_hours: float  # policy time since the ring was assigned
    pending_by_site_class: dict[str, int]
    site_classes: tuple[str, ...]
    conditions: dict[str, Any] = field(default_factory=dict)  # CAB conditions in force
    skip_soak: bool = False
    incidents: tuple[IncidentFact, ...] = ()
    cab_required: bool = False
    cab_reasons: tuple[str, ...] = ()
    exception_reasons: tuple[str, ...] = ()
    pack_problems: tuple[str, ...] = ()
    pack_version: int = 0
    pack_pending_requests: tuple[str, ...] = ()  # CAB re-approval requests of packs re-sealed mid-rollout
    pack_rejected_requests: tuple[str, ...] = ()
    rollback_evidence: str = ""  # how rollback was validated; "" when it was not
    window_problem: str = ""  # "" when the window is open; else why not (freeze, blackout, outside window)
    window_next_open: str = ""


@dataclass(frozen=True)
class GateCheck:
    gate: str
    outcome: Outcome
    summary: str
    inputs: dict[str, Any] = field(default_factory=dict)


def success_rate(f: RingFacts) -> GateCheck:
    threshold = max(float(f.ring_policy["success_threshold"]), float(f.conditions.get("min_success_threshold", 0)))
    stat = statistics.evaluate(f.installed, f.failed, f.ring_policy["gate"], threshold)
    return GateCheck("success_rate", stat.outcome, stat.why, stat.as_dict())


def failure_rate_bound(f: RingFacts) -> GateCheck | None:
    """halt_on.failure_rate_above: a ring failing past the bound halts even before its statistic decides."""
    bound = f.halt_on.get("failure_rate_above")
    n = f.installed + f.failed
    min_sample = int(f.ring_policy["gate"]["min_sample"])
    if bound is None or n == 0 or (f.halt_on.get("after_min_sample", True) and n < min_sample):
        return None
    rate = f.failed / n
    if rate > float(bound):
        return GateCheck(
            "success_rate",
            Outcome.FAIL,
            f"failure rate {rate:.1%} is above the halt bound {float(bound):.0%}",
            # the statistic's own inputs too: the rollout still shows n, the interval and the threshold
            {**success_rate(f).inputs, "failure_rate": round(rate, 4), "bound": bound, "n": n},
        )
    return None


def time_to_compliance(f: RingFacts) -> GateCheck:
    ttc = {k: float(v) for k, v in f.ring_policy["ttc_hours"].items()}
    overdue = {
        site: count
        for site, count in f.pending_by_site_class.items()
        if count and f.elapsed_hours >= ttc.get(site, max(ttc.values()))
    }
    waiting = {site: c for site, c in f.pending_by_site_class.items() if c and site not in overdue}
    inputs = {"elapsed_hours": round(f.elapsed_hours, 2), "ttc_hours": ttc, "pending": f.pending_by_site_class}
    if waiting:
        return GateCheck(
            "time_to_compliance",
            Outcome.WAITING,
            "devices still within their time to compliance: "
            + ", ".join(f"{c} {site} (≤ {ttc.get(site, 0):g} h)" for site, c in sorted(waiting.items())),
            inputs,
        )
    if overdue:
        inputs["overdue"] = overdue
        return GateCheck(
            "time_to_compliance",
            Outcome.PASS,
            "time to compliance has passed; not reported: "
            + ", ".join(f"{c} {site}" for site, c in sorted(overdue.items())),
            inputs,
        )
    return GateCheck("time_to_compliance", Outcome.PASS, "every device has reported", inputs)


def min_soak(f: RingFacts) -> GateCheck:
    required = max(float(f.ring_policy["min_soak_hours"]), float(f.conditions.get("min_soak_hours", 0)))
    inputs = {"elapsed_hours": round(f.elapsed_hours, 2), "required_hours": required, "skip_soak": f.skip_soak}
    if f.skip_soak:
        return GateCheck("min_soak", Outcome.PASS, "break-glass in force skips soak", inputs)
    if f.elapsed_hours >= required:
        return GateCheck("min_soak", Outcome.PASS, f"soaked {f.elapsed_hours:.1f} h ≥ {required:g} h", inputs)
    return GateCheck("min_soak", Outcome.WAITING, f"soaked {f.elapsed_hours:.1f} h of {required:g} h", inputs)


def zero_security_incidents(f: RingFacts) -> GateCheck:
    security = [i for i in f.incidents if i.security]
    inputs = {"open_security_incidents": [i.__dict__ for i in security]}
    if not security:
        return GateCheck("zero_security_incidents", Outcome.PASS, "no open security incident", inputs)
    worst = min(i.priority for i in security)
    outcome = Outcome.FAIL if worst in ("P0", "P1") else Outcome.BLOCKED
    return GateCheck(
        "zero_security_incidents", outcome, f"{len(security)} open security incident(s), worst {worst}", inputs
    )


def cab_approval_where_required(f: RingFacts) -> GateCheck:
    inputs = {"cab_required": f.cab_required, "conditions": f.conditions, "reasons": list(f.cab_reasons)}
    if f.cab_reasons:
        return GateCheck("cab_approval_where_required", Outcome.BLOCKED, "; ".join(f.cab_reasons), inputs)
    if not f.cab_required:
        return GateCheck("cab_approval_where_required", Outcome.PASS, "risk does not require CAB", inputs)
    if f.next_ring is None and f.conditions.get("monitoring_window_hours"):
        hours = float(f.conditions["monitoring_window_hours"])
        if f.elapsed_hours < hours:
            return GateCheck(
                "cab_approval_where_required",
                Outcome.WAITING,
                f"CAB monitoring window: {f.elapsed_hours:.1f} h of {hours:g} h",
                inputs,
            )
    return GateCheck("cab_approval_where_required", Outcome.PASS, "CAB approval in force, conditions met", inputs)


def evidence_pack_valid(f: RingFacts) -> GateCheck:
    inputs = {
        "pack_version": f.pack_version,
        "problems": list(f.pack_problems),
        "pending_cab_requests": list(f.pack_pending_requests),
        "rejected_cab_requests": list(f.pack_rejected_requests),
    }
    if f.pack_rejected_requests:  # CAB refused the re-sealed pack: the ring halts (halt_on: gate fail)
        return GateCheck("evidence_pack_valid", Outcome.FAIL, "; ".join(f.pack_problems), inputs)
    if f.pack_problems:
        return GateCheck("evidence_pack_valid", Outcome.BLOCKED, "; ".join(f.pack_problems), inputs)
    return GateCheck(
        "evidence_pack_valid", Outcome.PASS, f"pack v{f.pack_version} verifies and is the approved one", inputs
    )


def exceptions_unexpired(f: RingFacts) -> GateCheck:
    inputs = {"reasons": list(f.exception_reasons)}
    if f.exception_reasons:
        return GateCheck("exceptions_unexpired", Outcome.BLOCKED, "; ".join(f.exception_reasons), inputs)
    return GateCheck("exceptions_unexpired", Outcome.PASS, "every exception relied on is in force", inputs)


def rollback_validated(f: RingFacts) -> GateCheck:
    needed = bool(f.ring_policy.get("requires_rollback_validated_before_next")) and f.next_ring is not None
    inputs = {"required": needed, "validated_by": f.rollback_evidence}
    if not needed:
        return GateCheck("rollback_validated", Outcome.NOT_APPLICABLE, "not required after this ring", inputs)
    if f.rollback_evidence:
        return GateCheck("rollback_validated", Outcome.PASS, f"validated by {f.rollback_evidence}", inputs)
    return GateCheck(
        "rollback_validated", Outcome.BLOCKED, f"rollback is not validated; {f.next_ring} needs it", inputs
    )


def window_open(f: RingFacts) -> GateCheck:
    inputs = {"problem": f.window_problem, "next_open": f.window_next_open}
    if f.window_problem:
        return GateCheck("window_open", Outcome.BLOCKED, f.window_problem, inputs)
    return GateCheck("window_open", Outcome.PASS, "inside a change window, no freeze or blackout", inputs)


def evaluate(f: RingFacts) -> list[GateCheck]:
    rate = failure_rate_bound(f) or success_rate(f)
    return [
        rate,
        time_to_compliance(f),
        min_soak(f),
        zero_security_incidents(f),
        cab_approval_where_required(f),
        evidence_pack_valid(f),
        exceptions_unexpired(f),
        rollback_validated(f),
        window_open(f),
    ]


@dataclass(frozen=True)
class Verdict:
    step: str  # promote | hold | judgment | halt
    reason: str


def verdict(checks: list[GateCheck]) -> Verdict:
    by = {c.gate: c for c in checks}
    failed = [c for c in checks if c.outcome == Outcome.FAIL]
    if failed:
        return Verdict("halt", "; ".join(f"{c.gate}: {c.summary}" for c in failed))
    holding = [c for c in checks if c.outcome in HOLDING]
    if not holding:
        return Verdict("promote", "every gate passed")
    rate, ttc = by["success_rate"], by["time_to_compliance"]
    others = [c for c in holding if c.gate != "success_rate"]
    if rate.outcome == Outcome.INCONCLUSIVE and ttc.outcome == Outcome.PASS and not others:
        return Verdict("judgment", f"success rate inconclusive past time to compliance: {rate.summary}")
    return Verdict("hold", "; ".join(f"{c.gate}: {c.summary}" for c in holding))
