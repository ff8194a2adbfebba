"""Break-glass: a P0/P1 security fix may skip soak time (never evidence, never approval) for at most
4 hours, once two different people confirmed it; a CAB member reviews the use within 24 hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from fleetgate.approvals import policy
from fleetgate.approvals.models import BreakGlass, Priority
from fleetgate.approvals.services.common import (
    Refused,
    holders,
    recording_refusals,
    require_granted_before,
    require_person,
)
from fleetgate.approvals.states import BREAKGLASS_TRANSITIONS, BreakGlassAction, BreakGlassState
from fleetgate.audit import services as audit
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import InvalidTransition
from fleetgate.core.fsm import next_state
from fleetgate.core.lookups import locked, user_of
from fleetgate.core.roles import Role
from fleetgate.core.validation import Issues, check_choice
from fleetgate.intents.models import DeploymentIntent
from fleetgate.intents.states import State
from fleetgate.notifications import services as notifications

SUBJECT = "break_glass"
MIN_REASON = 20
ELIGIBLE = frozenset({State.AWAITING_CAB, State.APPROVED, State.IN_PROGRESS, State.PAUSED})


def _require_granted_before(actor: Actor, action: str, row: BreakGlass) -> None:
    require_granted_before(
        actor,
        action,
        row.intent,
        row.created_at,
        opened="this break-glass was requested",
        subject_type=SUBJECT,
        subject_id=row.pk,
        attempted=action,
    )


def request(
    *,
    actor: Actor,
    intent_id: UUID | str,
    priority: str,
    reason: str,
    duration_hours: int,
    now: datetime | None = None,
) -> BreakGlass:
    now = now or timezone.now()
    issues = Issues()
    check_choice(issues, "priority", priority, Priority.values)
    if len(reason.strip()) < MIN_REASON:
        issues.add("reason", "required", f"Describe the emergency (at least {MIN_REASON} characters): incident, fix.")
    if not isinstance(duration_hours, int) or not 1 <= duration_hours <= policy.BREAKGLASS_MAX_HOURS:
        issues.add("duration_hours", "range", f"Break-glass lasts 1..{policy.BREAKGLASS_MAX_HOURS} hours.")
    issues.raise_if_any("The break-glass request is not valid; fix the listed fields.")
    with recording_refusals(actor), transaction.atomic():
        intent = locked(DeploymentIntent, intent_id, "intent")
        require_person(actor, attempted="breakglass.request", subject_type="intent", subject_id=intent.pk)
        permissions.require(actor, "breakglass.request", intent)
        if intent.state not in ELIGIBLE:
            raise InvalidTransition(
                f"Intent is {intent.state}; break-glass applies to a submitted change on its way out.",
                state=intent.state,
                action="break_glass",
            )
        row = BreakGlass.objects.create(
            intent=intent,
            priority=priority,
            reason=reason.strip(),
            duration_hours=duration_hours,
            requested_by=user_of(actor),
            created_at=now,
        )
        audit.record(
            actor=actor,
            action="breakglass.requested",
            subject_type=SUBJECT,
            subject_id=row.pk,
            after=row.snapshot(),
            reason=row.reason,
            severity="warning",
        )
    return row


def confirm(*, actor: Actor, breakglass_id: UUID | str, now: datetime | None = None) -> BreakGlass:
    """The second person: activates the window. A critical ledger event and a review item."""
    now = now or timezone.now()
    with recording_refusals(actor), transaction.atomic():
        row = locked(BreakGlass, breakglass_id, "break-glass")
        require_person(actor, attempted="breakglass.confirm", subject_type=SUBJECT, subject_id=row.pk)
        permissions.require(actor, "breakglass.confirm", row.intent)
        if row.requested_by_id == actor.user_pk:
            raise Refused(
                "Dual control: the person who asked for break-glass cannot also confirm it.",
                rule="dual-control",
                subject_type=SUBJECT,
                subject_id=row.pk,
                attempted="breakglass.confirm",
            )
        _require_granted_before(actor, "breakglass.confirm", row)
        before = row.snapshot()
        row.state = next_state(BREAKGLASS_TRANSITIONS, BreakGlassState(row.state), BreakGlassAction.CONFIRM)
        row.confirmed_by, row.confirmed_at = user_of(actor), now
        row.expires_at = now + timedelta(hours=row.duration_hours)
        row.review_due_at = now + policy.BREAKGLASS_REVIEW_WITHIN
        row.save()
        audit.record(
            actor=actor,
            action="breakglass.activated",
            subject_type=SUBJECT,
            subject_id=row.pk,
            before=before,
            after=row.snapshot(),
            reason=row.reason,
            severity="critical",
        )
        notifications.notify(
            event="breakglass.used",
            subject_type=SUBJECT,
            subject_id=row.pk,
            payload={
                "intent": row.intent.name,
                "priority": row.priority,
                "expires_at": row.expires_at.isoformat(),
                "review_due_at": row.review_due_at.isoformat(),
                "requested_by": row.requested_by.get_username(),
                "confirmed_by": actor.name,
            },
            recipients=holders(Role.CAB_APPROVER, row.intent.scope),
        )
    return row


def review(*, actor: Actor, breakglass_id: UUID | str, notes: str, now: datetime | None = None) -> BreakGlass:
    now = now or timezone.now()
    issues = Issues()
    if len(notes.strip()) < MIN_REASON:
        issues.add("notes", "required", f"Record the review (at least {MIN_REASON} characters).")
    issues.raise_if_any()
    with recording_refusals(actor), transaction.atomic():
        row = locked(BreakGlass, breakglass_id, "break-glass")
        require_person(actor, attempted="breakglass.review", subject_type=SUBJECT, subject_id=row.pk)
        permissions.require(actor, "breakglass.review", row.intent)
        if actor.user_pk in (row.requested_by_id, row.confirmed_by_id):
            raise Refused(
                "Separation of duties: you asked for or confirmed this break-glass; another CAB member reviews it.",
                rule="conflict-of-interest",
                subject_type=SUBJECT,
                subject_id=row.pk,
                attempted="breakglass.review",
            )
        _require_granted_before(actor, "breakglass.review", row)
        before = row.snapshot()
        row.state = next_state(BREAKGLASS_TRANSITIONS, BreakGlassState(row.state), BreakGlassAction.REVIEW)
        row.reviewed_by, row.reviewed_at, row.review_notes = user_of(actor), now, notes.strip()
        row.save()
        audit.record(
            actor=actor,
            action="breakglass.reviewed",
            subject_type=SUBJECT,
            subject_id=row.pk,
            before=before,
            after={**row.snapshot(), "overdue": bool(row.review_due_at and now > row.review_due_at)},
            reason=row.review_notes,
        )
    return row
