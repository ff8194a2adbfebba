"""Ring policy 1.1 for reconciliation, as pure functions: routes, severities, the remediation
decision with its backoff, and the reconcile interval by criticality with a stable jitter."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fleetgate.reconcile.states import Kind, Route, Status

DEFAULTS: dict[str, Any] = {
    "reconcile_interval_minutes_by_criticality": {"critical": 15, "high": 30, "standard": 60, "low": 240},
    "auto_remediation": {"rings": ["lab", "canary"], "max_attempts": 3, "backoff_hours": [1, 2, 4]},
    "stuck_after_hours_without_progress": 24,
}
AUTO_KINDS = frozenset({Kind.MISSING, Kind.MODIFIED})
CRITICALITY = {  # the application's blast-radius class -> ring policy criticality
    "critical_infrastructure": "critical",
    "business_critical": "high",
    "productivity": "standard",
    "non_critical": "low",
}
JITTER_SHARE = 0.1  # up to 10 % of the interval, stable per intent


def setting(document: dict[str, Any], name: str) -> Any:
    return document.get(name, DEFAULTS[name])


def route(kind: str, ring: str, privileged: bool, document: dict[str, Any]) -> Route:
    """auto only for missing / modified drift of non-privileged apps in the policy's rings; extra
    drift widens scope (CAB); everything else goes to Endpoint Ops."""
    if kind == Kind.EXTRA:
        return Route.CAB
    auto = setting(document, "auto_remediation")
    if kind in AUTO_KINDS and not privileged and ring in auto["rings"]:
        return Route.AUTO
    return Route.ENDPOINT_OPS


def severity(kind: str, ring: str, privileged: bool) -> str:
    if kind == Kind.EXTRA or (privileged and kind == Kind.MODIFIED):
        return "high"
    if kind in (Kind.MODIFIED, Kind.STUCK) or ring in ("department", "global"):
        return "medium"
    return "low"


@dataclass(frozen=True)
class Decision:
    act: bool  # remediate now
    escalate: bool = False
    hold: str = ""  # why it waits ("" when it acts or simply waits for its backoff)
    next_attempt_at: datetime | None = None


def decide(
    *,
    route_: str,
    status: str,
    attempts: int,
    next_attempt_at: datetime | None,
    now: datetime,
    window_problem: str,
    busy: str,
    document: dict[str, Any],
) -> Decision:
    """What the reconciler does with one live drift this pass. `window_problem`: a freeze or blackout
    holds it (reconciliation never rolls back, so nothing is exempt); `busy`: the rollout is acting
    on this ring (never fight it)."""
    if route_ != Route.AUTO or status not in (Status.OPEN, Status.REMEDIATING):
        return Decision(act=False)
    if window_problem:
        return Decision(act=False, hold=f"held: {window_problem}")
    if busy:
        return Decision(act=False, hold=f"held: {busy}")
    if next_attempt_at is not None and now < next_attempt_at:
        return Decision(act=False)
    auto = setting(document, "auto_remediation")
    if attempts >= int(auto["max_attempts"]):
        return Decision(act=False, escalate=True)
    backoff = list(auto["backoff_hours"])
    wait = float(backoff[min(attempts, len(backoff) - 1)])
    return Decision(act=True, next_attempt_at=now + timedelta(hours=wait))


def interval(document: dict[str, Any], blast_radius_class: str) -> timedelta:
    minutes = setting(document, "reconcile_interval_minutes_by_criticality")
    return timedelta(minutes=float(minutes.get(CRITICALITY.get(blast_radius_class, "standard"), 60)))


def jitter(key: str, every: timedelta) -> timedelta:
    """A stable share of the interval (so passes spread out instead of thundering together)."""
    unit = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big") / 2**32
    return every * JITTER_SHARE * unit
