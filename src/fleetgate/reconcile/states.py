"""Drift kinds, statuses, routes and the status transitions, as data."""

from __future__ import annotations

from enum import StrEnum

from fleetgate.core.errors import InvalidTransition


class Kind(StrEnum):
    MISSING = "missing"  # a targeted device (or the group's assignment) lacks the version
    EXTRA = "extra"  # the version / a Fleetgate-managed assignment where no intent targets it
    MODIFIED = "modified"  # another version, or the assignment changed out of band (intent, group)
    STALE = "stale"  # a device with no report past its site class's time-to-compliance
    STUCK = "stuck"  # a ring with no progress past time-to-compliance, or a rollout silent for 24 h


class Status(StrEnum):
    OPEN = "open"
    REMEDIATING = "remediating"
    RESOLVED = "resolved"
    ACCEPTED = "accepted"
    ESCALATED = "escalated"


class Route(StrEnum):
    AUTO = "auto"  # the reconciler fixes it itself (ring policy auto_remediation)
    ENDPOINT_OPS = "endpoint_ops"
    CAB = "cab"  # the drift widens scope


class Action(StrEnum):
    DETECT = "detect"  # seen again (a resolved or expired-accepted drift reopens)
    ATTEMPT = "attempt"
    ESCALATE = "escalate"
    HEAL = "heal"  # no longer seen
    RESOLVE = "resolve"  # a person says it is fixed
    ACCEPT = "accept"
    ACKNOWLEDGE = "acknowledge"


S, A = Status, Action
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.RESOLVED, A.DETECT): S.OPEN,
    (S.ACCEPTED, A.DETECT): S.OPEN,  # only once the acceptance expired
    (S.OPEN, A.ATTEMPT): S.REMEDIATING,
    (S.REMEDIATING, A.ATTEMPT): S.REMEDIATING,
    (S.OPEN, A.ESCALATE): S.ESCALATED,
    (S.REMEDIATING, A.ESCALATE): S.ESCALATED,
    (S.OPEN, A.HEAL): S.RESOLVED,
    (S.REMEDIATING, A.HEAL): S.RESOLVED,
    (S.ESCALATED, A.HEAL): S.RESOLVED,
    (S.ACCEPTED, A.HEAL): S.RESOLVED,
    (S.OPEN, A.RESOLVE): S.RESOLVED,
    (S.REMEDIATING, A.RESOLVE): S.RESOLVED,
    (S.ESCALATED, A.RESOLVE): S.RESOLVED,
    (S.ACCEPTED, A.RESOLVE): S.RESOLVED,
    (S.OPEN, A.ACCEPT): S.ACCEPTED,
    (S.REMEDIATING, A.ACCEPT): S.ACCEPTED,
    (S.ESCALATED, A.ACCEPT): S.ACCEPTED,
    (S.OPEN, A.ACKNOWLEDGE): S.OPEN,
    (S.ESCALATED, A.ACKNOWLEDGE): S.ESCALATED,
    (S.REMEDIATING, A.ACKNOWLEDGE): S.REMEDIATING,
}
LIVE = frozenset({S.OPEN, S.REMEDIATING, S.ESCALATED})


def next_status(current: str, action: Action) -> Status:
    try:
        return TRANSITIONS[(Status(current), action)]
    except KeyError:
        raise InvalidTransition(f"A drift that is {current} cannot be {action.value}d.") from None
