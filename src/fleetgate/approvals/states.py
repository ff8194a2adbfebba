"""Lifecycles of CAB requests, exceptions and break-glass, as transition tables."""

from __future__ import annotations

from enum import StrEnum


class RequestState(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    VOIDED = "voided"  # a new evidence pack version was sealed: decisions on the old one no longer count


class RequestAction(StrEnum):
    APPROVE = "approve"  # quorum reached
    REJECT = "reject"
    VOID = "void"


TRANSITIONS: dict[tuple[RequestState, RequestAction], RequestState] = {
    (RequestState.OPEN, RequestAction.APPROVE): RequestState.APPROVED,
    (RequestState.OPEN, RequestAction.REJECT): RequestState.REJECTED,
    (RequestState.OPEN, RequestAction.VOID): RequestState.VOIDED,
    (RequestState.APPROVED, RequestAction.VOID): RequestState.VOIDED,
}
CLOSED = frozenset({RequestState.APPROVED, RequestState.REJECTED, RequestState.VOIDED})


class ExceptionState(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class ExceptionAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    EXTEND = "extend"
    LAPSE = "lapse"


EXCEPTION_TRANSITIONS: dict[tuple[ExceptionState, ExceptionAction], ExceptionState] = {
    (ExceptionState.REQUESTED, ExceptionAction.APPROVE): ExceptionState.APPROVED,
    (ExceptionState.REQUESTED, ExceptionAction.REJECT): ExceptionState.REJECTED,
    (ExceptionState.APPROVED, ExceptionAction.EXTEND): ExceptionState.APPROVED,
    (ExceptionState.APPROVED, ExceptionAction.LAPSE): ExceptionState.EXPIRED,
    (ExceptionState.REQUESTED, ExceptionAction.LAPSE): ExceptionState.EXPIRED,
}


class BreakGlassState(StrEnum):
    PENDING = "pending"  # one person asked; a second must confirm
    ACTIVE = "active"  # confirmed; in force until expires_at
    REVIEWED = "reviewed"  # a CAB member reviewed the use


class BreakGlassAction(StrEnum):
    CONFIRM = "confirm"
    REVIEW = "review"


BREAKGLASS_TRANSITIONS: dict[tuple[BreakGlassState, BreakGlassAction], BreakGlassState] = {
    (BreakGlassState.PENDING, BreakGlassAction.CONFIRM): BreakGlassState.ACTIVE,
    (BreakGlassState.ACTIVE, BreakGlassAction.REVIEW): BreakGlassState.REVIEWED,
}
