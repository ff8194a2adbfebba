"""The per-ring lifecycle and the outcomes a gate can have (ring policy 1.1), as data.

The intent's own state (in_progress, paused, halted, rolling_back, ...) lives in intents/states.py;
a ring run is one ring of one rollout: published and assigned on every plane that serves it,
observed, gated, then passed (promoted), failed, or rolled back.
"""

from __future__ import annotations

from enum import StrEnum


class RingState(StrEnum):
    PENDING = "pending"  # not reached yet
    ASSIGNED = "assigned"  # every plane target assigned; observing
    AWAITING_JUDGMENT = "awaiting_judgment"  # inconclusive past time-to-compliance: a person decides
    PASSED = "passed"  # promoted to the next ring (or the rollout completed)
    FAILED = "failed"  # a gate failed here; the rollout halted
    ROLLING_BACK = "rolling_back"
    ROLLED_BACK = "rolled_back"
    ROLLBACK_FAILED = "rollback_failed"


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"  # halts the rollout (and rolls back per policy)
    INCONCLUSIVE = "inconclusive"  # not enough evidence yet: the ring waits
    WAITING = "waiting"  # time has not come yet (soak, time-to-compliance, a window)
    BLOCKED = "blocked"  # a precondition a person must fix (approval, evidence, freeze)
    NOT_APPLICABLE = "not_applicable"


HOLDING = frozenset({Outcome.INCONCLUSIVE, Outcome.WAITING, Outcome.BLOCKED})
REACHED = frozenset(
    {RingState.ASSIGNED, RingState.AWAITING_JUDGMENT, RingState.PASSED, RingState.FAILED, RingState.ROLLING_BACK}
)


class Priority(StrEnum):
    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"
