"""Ring policy 1.1 for reconciliation as pure functions: routes, backoff, escalation, holds,
intervals with jitter, and the drift status table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetgate.core.errors import InvalidTransition
from fleetgate.reconcile import policy
from fleetgate.reconcile.states import Action, Kind, Route, Status, next_status

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DOC: dict[str, object] = {}  # the defaults are ring policy 1.1's values


@pytest.mark.parametrize(
    ("kind", "ring", "privileged", "expected"),
    [
        (Kind.MISSING, "lab", False, Route.AUTO),
        (Kind.MODIFIED, "canary", False, Route.AUTO),
        (Kind.MISSING, "pilot", False, Route.ENDPOINT_OPS),
        (Kind.MODIFIED, "global", False, Route.ENDPOINT_OPS),
        (Kind.MISSING, "lab", True, Route.ENDPOINT_OPS),
        (Kind.STALE, "lab", False, Route.ENDPOINT_OPS),
        (Kind.STUCK, "canary", False, Route.ENDPOINT_OPS),
        (Kind.EXTRA, "lab", False, Route.CAB),
        (Kind.EXTRA, "global", True, Route.CAB),
    ],
)
def test_route(kind: Kind, ring: str, privileged: bool, expected: Route) -> None:
    assert policy.route(kind, ring, privileged, DOC) == expected


def test_route_follows_an_edited_policy() -> None:
    doc = {"auto_remediation": {"rings": ["lab", "canary", "pilot"], "max_attempts": 3, "backoff_hours": [1, 2, 4]}}
    assert policy.route(Kind.MISSING, "pilot", False, doc) == Route.AUTO


def _decide(**overrides: object) -> policy.Decision:
    args: dict[str, object] = {
        "route_": Route.AUTO,
        "status": Status.OPEN,
        "attempts": 0,
        "next_attempt_at": None,
        "now": NOW,
        "window_problem": "",
        "busy": "",
        "document": DOC,
    }
    args.update(overrides)
    return policy.decide(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(("attempts", "hours"), [(0, 1), (1, 2), (2, 4)])
def test_backoff_one_two_four_hours(attempts: int, hours: int) -> None:
    decision = _decide(attempts=attempts, status=Status.REMEDIATING if attempts else Status.OPEN)
    assert decision.act
    assert decision.next_attempt_at == NOW + timedelta(hours=hours)


def test_not_due_waits_and_exhausted_escalates() -> None:
    assert _decide(attempts=1, next_attempt_at=NOW + timedelta(minutes=1)) == policy.Decision(act=False)
    assert _decide(attempts=3, next_attempt_at=NOW) == policy.Decision(act=False, escalate=True)


def test_freeze_and_a_busy_rollout_hold() -> None:
    held = _decide(window_problem="change freeze: audit")
    assert not held.act
    assert held.hold == "held: change freeze: audit"
    busy = _decide(busy="the rollout is still working on ring canary")
    assert not busy.act
    assert "still working" in busy.hold


def test_items_for_people_are_never_acted_on() -> None:
    assert _decide(route_=Route.ENDPOINT_OPS) == policy.Decision(act=False)
    assert _decide(route_=Route.CAB) == policy.Decision(act=False)
    assert _decide(status=Status.ACCEPTED) == policy.Decision(act=False)


def test_severity() -> None:
    assert policy.severity(Kind.EXTRA, "lab", False) == "high"
    assert policy.severity(Kind.MODIFIED, "lab", True) == "high"
    assert policy.severity(Kind.MODIFIED, "lab", False) == "medium"
    assert policy.severity(Kind.MISSING, "global", False) == "medium"
    assert policy.severity(Kind.MISSING, "lab", False) == "low"


def test_interval_by_criticality_and_stable_jitter() -> None:
    assert policy.interval(DOC, "critical_infrastructure") == timedelta(minutes=15)
    assert policy.interval(DOC, "business_critical") == timedelta(minutes=30)
    assert policy.interval(DOC, "productivity") == timedelta(minutes=60)
    assert policy.interval(DOC, "non_critical") == timedelta(minutes=240)
    every = timedelta(minutes=60)
    first, again = policy.jitter("intent-a", every), policy.jitter("intent-a", every)
    assert first == again
    assert timedelta(0) <= first < every * policy.JITTER_SHARE
    assert policy.jitter("intent-b", every) != first


def test_status_table() -> None:
    assert next_status("open", Action.ATTEMPT) == Status.REMEDIATING
    assert next_status("remediating", Action.ESCALATE) == Status.ESCALATED
    assert next_status("escalated", Action.HEAL) == Status.RESOLVED
    assert next_status("resolved", Action.DETECT) == Status.OPEN
    with pytest.raises(InvalidTransition):
        next_status("resolved", Action.ACCEPT)
    with pytest.raises(InvalidTransition):
        next_status("accepted", Action.ATTEMPT)
