"""Exceptions: request, approve (Security Reviewer, plus CAB quorum for scope and gate overrides),
reject, extend, and the periodic lapse with reminders. Malware can never be excepted."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from fleetgate.approvals import policy
from fleetgate.approvals.models import NEEDS_ARTIFACT, NEEDS_CAB, ExceptionApproval, ExceptionKind, PolicyException
from fleetgate.approvals.services.common import (
    Refused,
    recording_refusals,
    require_granted_before,
    require_person,
)
from fleetgate.approvals.states import EXCEPTION_TRANSITIONS, ExceptionAction, ExceptionState
from fleetgate.audit import services as audit
from fleetgate.catalog.models import Artifact
from fleetgate.core import permissions
from fleetgate.core.actors import Actor, service
from fleetgate.core.errors import Conflict, FieldIssue, Forbidden, MalwareNotExceptable, ValidationFailed
from fleetgate.core.fsm import next_state
from fleetgate.core.lookups import locked, user_of
from fleetgate.core.validation import Issues, check_choice
from fleetgate.evidence import queries as evidence
from fleetgate.evidence.documents import Kind
from fleetgate.intents.models import DeploymentIntent
from fleetgate.notifications import services as notifications

SUBJECT = "exception"
MIN_TEXT = 10
EXPIRY = service("exception-expiry", frozenset({"exception.lapse"}))
NEVER_OVERRIDDEN = {"evidence_pack_valid": "evidence is never skipped", "exceptions_unexpired": "that is this rule"}


def _lookup(model: Any, pk: Any, field: str, issues: Issues) -> Any:
    if pk in (None, ""):
        return None
    try:
        return model.objects.get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError, DjangoValidationError):
        issues.add(field, "exists", f"No {field} with id {pk}.")
        return None


def _malware_names(artifact: Artifact) -> set[str]:
    names: set[str] = set()
    for scan in evidence.current_of(artifact.pk, Kind.MALWARE_SCAN):
        names |= {d.get("name", "") for d in scan.summary.get("detections") or []}
    return {n for n in names if n}


def _check_subject(issues: Issues, kind: str, subject: str, artifact: Artifact | None, intent: Any) -> None:
    lowered = subject.lower()
    if "malware" in lowered or lowered in {"no-malware", "malware_scan"}:
        raise MalwareNotExceptable("Malware findings can never be excepted; rebuild the package from a clean source.")
    if artifact is not None and subject in _malware_names(artifact):
        raise MalwareNotExceptable(f"'{subject}' is a malware detection; malware can never be excepted.")
    if kind == ExceptionKind.VULNERABILITY and artifact is not None:
        findings = {
            f["id"]
            for scan in evidence.current_of(artifact.pk, Kind.VULNERABILITY_SCAN)
            for f in scan.summary["findings"]
        }
        if subject not in findings:
            issues.add("subject", "finding-exists", f"'{subject}' is not a finding of this artifact's current scans.")
    if kind == ExceptionKind.GATE_OVERRIDE and intent is not None:
        gates = list(intent.ring_policy.document.get("gates_every_transition", []))
        if subject in NEVER_OVERRIDDEN:
            issues.add("subject", "not-overridable", f"'{subject}' cannot be overridden: {NEVER_OVERRIDDEN[subject]}.")
        elif subject not in gates:
            issues.add(
                "subject", "choice", f"Name a gate of ring policy {intent.ring_policy.version}: {', '.join(gates)}."
            )


def _require_granted_before(actor: Actor, action: str, row: PolicyException, attempted: str) -> None:
    require_granted_before(
        actor,
        action,
        row,
        row.created_at,
        opened="this exception was requested",
        subject_type=SUBJECT,
        subject_id=row.pk,
        attempted=attempted,
    )


def request_exception(*, actor: Actor, data: dict[str, Any], now: datetime | None = None) -> PolicyException:
    now = now or timezone.now()
    issues = Issues()
    kind = str(data.get("kind", ""))
    check_choice(issues, "kind", kind, ExceptionKind.values)
    intent = _lookup(DeploymentIntent, data.get("intent"), "intent", issues)
    artifact = _lookup(Artifact, data.get("artifact"), "artifact", issues)
    if kind in NEEDS_ARTIFACT and artifact is None and "artifact" not in {i.field for i in issues.items}:
        issues.add("artifact", "required", f"A {kind} exception names the artifact it applies to.")
    if kind in NEEDS_CAB and intent is None and "intent" not in {i.field for i in issues.items}:
        issues.add("intent", "required", f"A {kind} exception names the intent it applies to.")
    if intent is not None and artifact is not None and artifact.version_id != intent.version_id:
        issues.add("artifact", "intent-version", "The artifact is not of the intent's version.")
    subject = str(data.get("subject", "")).strip()
    if kind == ExceptionKind.UNSIGNED_PACKAGE:
        subject = subject or "signature-verified"
    if not subject:
        issues.add("subject", "required", "Name what is excepted (finding id, gate, target scope).")
    for name in ("justification", "compensating_controls"):
        if len(str(data.get(name, "")).strip()) < MIN_TEXT:
            issues.add(name, "required", f"Describe the {name.replace('_', ' ')} (at least {MIN_TEXT} characters).")
    owner = get_user_model().objects.filter(username=data.get("owner", ""), is_active=True).first()
    if owner is None:
        issues.add("owner", "exists", "Name the owner: an active user who answers for this exception.")
    days = data.get("expires_in_days")
    if not isinstance(days, int) or not 1 <= days <= policy.EXCEPTION_MAX_DAYS:
        issues.add("expires_in_days", "range", f"An exception expires within 1..{policy.EXCEPTION_MAX_DAYS} days.")
    if subject:
        _check_subject(issues, kind, subject, artifact, intent)
    issues.raise_if_any("The exception request is not valid; fix the listed fields.")
    target = intent if intent is not None else artifact
    with transaction.atomic():
        permissions.require(actor, "exception.request", target)
        expires = now + timedelta(days=int(days))  # type: ignore[arg-type]
        app = (intent or artifact.version).application  # type: ignore[union-attr]
        row = PolicyException.objects.create(
            kind=kind,
            intent=intent,
            artifact=artifact,
            subject=subject,
            justification=str(data["justification"]).strip(),
            compensating_controls=str(data["compensating_controls"]).strip(),
            owner=owner,  # type: ignore[misc]  # None was refused above
            requested_by=user_of(actor),
            quorum=policy.quorum_for(app.blast_radius_class) if kind in NEEDS_CAB else 0,
            expires_at=expires,
            original_expires_at=expires,
            created_at=now,
        )
        audit.record(
            actor=actor, action="exception.requested", subject_type=SUBJECT, subject_id=row.pk, after=row.snapshot()
        )
    return row


def approve_exception(
    *, actor: Actor, exception_id: UUID | str, reason: str = "", now: datetime | None = None
) -> PolicyException:
    """A Security Reviewer approves; scope and gate overrides also need CAB quorum. One event per approval."""
    now = now or timezone.now()
    with recording_refusals(actor), transaction.atomic():
        row = locked(PolicyException, exception_id, "exception")
        require_person(actor, attempted="exception.approve", subject_type=SUBJECT, subject_id=row.pk)
        security_done = row.approvals.filter(capacity="security").exists()
        if permissions.can(actor, "exception.approve", row) and not security_done:
            capacity = "security"
        elif row.kind in NEEDS_CAB and permissions.can(actor, "exception.cab_approve", row):
            capacity = "cab"
        elif permissions.can(actor, "exception.approve", row):
            raise Conflict("A Security Reviewer approved already; this exception now waits for CAB quorum.")
        else:
            permissions.require(actor, "exception.approve", row)
            raise Forbidden("Only a Security Reviewer approves this exception.")  # pragma: no cover
        if row.state != ExceptionState.REQUESTED:
            raise Conflict(f"The exception is {row.state}; only requested exceptions are approved.", state=row.state)
        if row.expires_at <= now:
            raise Conflict("The exception expired before it was approved; request a new one.")
        if actor.user_pk in (row.requested_by_id, row.owner_id):
            raise Refused(
                "Separation of duties: you requested or own this exception, so another person approves it.",
                rule="conflict-of-interest",
                subject_type=SUBJECT,
                subject_id=row.pk,
                attempted="exception.approve",
            )
        decides = "exception.approve" if capacity == "security" else "exception.cab_approve"
        _require_granted_before(actor, decides, row, "exception.approve")
        if row.approvals.filter(approver_id=actor.user_pk).exists():
            raise Refused(
                "You approved this exception already; one person counts once.",
                rule="one-person-once",
                subject_type=SUBJECT,
                subject_id=row.pk,
                attempted="exception.approve",
            )
        ExceptionApproval.objects.create(exception=row, approver=user_of(actor), capacity=capacity, reason=reason)
        before = row.snapshot()
        security = row.approvals.filter(capacity="security").exists()
        votes = row.approvals.filter(capacity="cab").count()
        complete = security and votes >= row.quorum
        if complete:
            row.state = next_state(EXCEPTION_TRANSITIONS, ExceptionState(row.state), ExceptionAction.APPROVE)
            row.decided_at, row.decision_reason = now, reason
            row.save(update_fields=["state", "decided_at", "decision_reason"])
        audit.record(
            actor=actor,
            action="exception.approved" if complete else "exception.approval_recorded",
            subject_type=SUBJECT,
            subject_id=row.pk,
            before=before,
            after={**row.snapshot(), "capacity": capacity, "cab_votes": votes, "security_approved": security},
            reason=reason,
        )
    return row


def reject_exception(
    *, actor: Actor, exception_id: UUID | str, reason: str, now: datetime | None = None
) -> PolicyException:
    now = now or timezone.now()
    if not reason.strip():
        raise ValidationFailed("Say why.", errors=[FieldIssue("reason", "required", "A rejection needs a reason.")])
    with recording_refusals(actor), transaction.atomic():
        row = locked(PolicyException, exception_id, "exception")
        require_person(actor, attempted="exception.reject", subject_type=SUBJECT, subject_id=row.pk)
        permissions.require(actor, "exception.approve", row)
        _require_granted_before(actor, "exception.approve", row, "exception.reject")
        before = row.snapshot()
        row.state = next_state(EXCEPTION_TRANSITIONS, ExceptionState(row.state), ExceptionAction.REJECT)
        row.decided_at, row.decision_reason = now, reason
        row.save(update_fields=["state", "decided_at", "decision_reason"])
        audit.record(
            actor=actor,
            action="exception.rejected",
            subject_type=SUBJECT,
            subject_id=row.pk,
            before=before,
            after=row.snapshot(),
            reason=reason,
        )
    return row


def extend_exception(
    *, actor: Actor, exception_id: UUID | str, days: int, reason: str, now: datetime | None = None
) -> PolicyException:
    """Push the expiry out by `days` from the current expiry, never past 90 days after the original."""
    now = now or timezone.now()
    issues = Issues()
    if not reason.strip():
        issues.add("reason", "required", "Say why the exception needs longer.")
    if not isinstance(days, int) or days < 1:
        issues.add("days", "range", "Extend by at least one day.")
    issues.raise_if_any()
    with recording_refusals(actor), transaction.atomic():
        row = locked(PolicyException, exception_id, "exception")
        require_person(actor, attempted="exception.extend", subject_type=SUBJECT, subject_id=row.pk)
        permissions.require(actor, "exception.extend", row)
        if actor.user_pk in (row.requested_by_id, row.owner_id):
            raise Refused(
                "Separation of duties: you requested or own this exception.",
                rule="conflict-of-interest",
                subject_type=SUBJECT,
                subject_id=row.pk,
                attempted="exception.extend",
            )
        _require_granted_before(actor, "exception.extend", row, "exception.extend")
        if row.state == ExceptionState.APPROVED and row.expires_at <= now:
            raise Conflict("The exception has expired (the lapse task will record it); request a new one.")
        limit = row.original_expires_at + timedelta(days=policy.EXCEPTION_MAX_DAYS)
        new_expiry = row.expires_at + timedelta(days=days)
        if new_expiry > limit:
            raise ValidationFailed(
                "Too long.",
                errors=[
                    FieldIssue(
                        "days",
                        "max-extension",
                        f"Extensions end at most {policy.EXCEPTION_MAX_DAYS} days after the original expiry "
                        f"({limit.date().isoformat()}).",
                    )
                ],
            )
        before = row.snapshot()
        row.state = next_state(EXCEPTION_TRANSITIONS, ExceptionState(row.state), ExceptionAction.EXTEND)
        row.expires_at, row.reminder_sent_at = new_expiry, None
        row.save(update_fields=["state", "expires_at", "reminder_sent_at"])
        audit.record(
            actor=actor,
            action="exception.extended",
            subject_type=SUBJECT,
            subject_id=row.pk,
            before=before,
            after=row.snapshot(),
            reason=reason,
        )
    return row


def _recipients(row: PolicyException) -> list[str]:
    return sorted({row.owner.get_username(), row.requested_by.get_username()})


def lapse_and_remind(*, now: datetime) -> dict[str, int]:
    """The periodic sweep, with the clock injected: lapse what expired, remind 14 days ahead."""
    lapsed = reminded = 0
    due = PolicyException.objects.filter(
        state__in=[ExceptionState.APPROVED, ExceptionState.REQUESTED], expires_at__lte=now
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            row = locked(PolicyException, pk, "exception")
            if row.state not in (ExceptionState.APPROVED, ExceptionState.REQUESTED) or row.expires_at > now:
                continue  # pragma: no cover - changed meanwhile
            permissions.require(EXPIRY, "exception.lapse")
            before = row.snapshot()
            row.state = next_state(EXCEPTION_TRANSITIONS, ExceptionState(row.state), ExceptionAction.LAPSE)
            row.lapsed_at = now
            row.save(update_fields=["state", "lapsed_at"])
            audit.record(
                actor=EXPIRY,
                action="exception.expired",
                subject_type=SUBJECT,
                subject_id=row.pk,
                before=before,
                after=row.snapshot(),
            )
            notifications.notify(
                event="exception.expired",
                subject_type=SUBJECT,
                subject_id=row.pk,
                payload={"kind": row.kind, "subject": row.subject, "expired_at": row.expires_at.isoformat()},
                recipients=_recipients(row),
            )
            lapsed += 1
    soon = PolicyException.objects.filter(
        state=ExceptionState.APPROVED,
        reminder_sent_at__isnull=True,
        expires_at__gt=now,
        expires_at__lte=now + policy.EXCEPTION_REMINDER,
    ).values_list("pk", flat=True)
    for pk in list(soon):
        with transaction.atomic():
            row = locked(PolicyException, pk, "exception")
            if row.reminder_sent_at is not None:
                continue  # pragma: no cover - another sweep got it
            row.reminder_sent_at = now
            row.save(update_fields=["reminder_sent_at"])
            audit.record(
                actor=EXPIRY,
                action="exception.expiry_reminded",
                subject_type=SUBJECT,
                subject_id=row.pk,
                after={"expires_at": row.expires_at.isoformat(), "owner": row.owner.get_username()},
            )
            notifications.notify(
                event="exception.expiring",
                subject_type=SUBJECT,
                subject_id=row.pk,
                payload={"kind": row.kind, "subject": row.subject, "expires_at": row.expires_at.isoformat()},
                recipients=_recipients(row),
            )
            reminded += 1
    return {"lapsed": lapsed, "reminded": reminded}
