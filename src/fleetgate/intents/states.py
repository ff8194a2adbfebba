"""The intent lifecycle as data (DESIGN.md: Intent lifecycle)."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    AWAITING_CAB = "awaiting_cab"
    APPROVED = "approved"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    PAUSED = "paused"
    HALTED = "halted"
    ROLLING_BACK = "rolling_back"
    ROLLED_BACK = "rolled_back"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FAILED = "failed"


class Action(StrEnum):
    SUBMIT = "submit"
    REQUIRE_CAB = "require_cab"
    APPROVE = "approve"
    REJECT = "reject"
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    HALT = "halt"
    ROLLBACK = "rollback"
    ROLLBACK_DONE = "rollback_done"
    COMPLETE = "complete"
    FAIL = "fail"
    CANCEL = "cancel"


S, A = State, Action

TRANSITIONS: dict[tuple[State, Action], State] = {
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.DRAFT, A.CANCEL): S.CANCELLED,
    (S.SUBMITTED, A.REQUIRE_CAB): S.AWAITING_CAB,
    (S.SUBMITTED, A.APPROVE): S.APPROVED,  # policy says no CAB needed: recorded as cab_not_required
    (S.SUBMITTED, A.REJECT): S.REJECTED,
    (S.SUBMITTED, A.CANCEL): S.CANCELLED,
    (S.AWAITING_CAB, A.APPROVE): S.APPROVED,
    (S.AWAITING_CAB, A.REJECT): S.REJECTED,
    (S.AWAITING_CAB, A.CANCEL): S.CANCELLED,
    (S.APPROVED, A.START): S.IN_PROGRESS,
    (S.APPROVED, A.CANCEL): S.CANCELLED,
    (S.IN_PROGRESS, A.PAUSE): S.PAUSED,
    (S.IN_PROGRESS, A.HALT): S.HALTED,
    (S.IN_PROGRESS, A.ROLLBACK): S.ROLLING_BACK,
    (S.IN_PROGRESS, A.COMPLETE): S.COMPLETED,
    (S.IN_PROGRESS, A.FAIL): S.FAILED,
    (S.PAUSED, A.RESUME): S.IN_PROGRESS,
    (S.PAUSED, A.HALT): S.HALTED,
    (S.PAUSED, A.ROLLBACK): S.ROLLING_BACK,
    (S.HALTED, A.RESUME): S.IN_PROGRESS,
    (S.HALTED, A.ROLLBACK): S.ROLLING_BACK,
    (S.ROLLING_BACK, A.ROLLBACK_DONE): S.ROLLED_BACK,
    (S.ROLLING_BACK, A.FAIL): S.FAILED,
}

# States holding a ring: another intent for the same application may not claim the same ring.
ACTIVE_STATES = frozenset({S.SUBMITTED, S.AWAITING_CAB, S.APPROVED, S.IN_PROGRESS, S.PAUSED, S.HALTED, S.ROLLING_BACK})
TERMINAL_STATES = frozenset({S.COMPLETED, S.ROLLED_BACK, S.REJECTED, S.CANCELLED, S.FAILED})
EDITABLE_STATES = frozenset({S.DRAFT})
