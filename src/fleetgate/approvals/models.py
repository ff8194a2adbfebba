"""CAB submissions, requests and decisions; exceptions; break-glass. Decisions never change:
a revocation is its own row, and a superseded pack voids the request, not the decision."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from fleetgate.approvals.states import BreakGlassState, ExceptionState, RequestState
from fleetgate.catalog.models import Artifact
from fleetgate.core.roles import Scope
from fleetgate.evidence.models import EvidencePack
from fleetgate.intents.models import DeploymentIntent
from fleetgate.risk.models import RiskAssessment

USER = settings.AUTH_USER_MODEL


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class CabSubmission(models.Model):
    """The change-request narrative for the board. Immutable; a new version supersedes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    intent = models.ForeignKey(DeploymentIntent, on_delete=models.PROTECT, related_name="cab_submissions")
    version = models.PositiveIntegerField()
    summary = models.TextField()
    justification = models.TextField()
    impact = models.TextField()
    test_summary = models.TextField()
    backout_plan = models.TextField()
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    # The assistant's draft-cab-note interaction the author started from (null: written without it)
    drafted_with = models.ForeignKey(
        "assistant.Interaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-version"]
        constraints = [models.UniqueConstraint(fields=["intent", "version"], name="uniq_cab_submission_version")]

    @property
    def scope(self) -> Scope:
        return self.intent.scope

    def snapshot(self) -> dict[str, Any]:
        return {
            "intent": str(self.intent_id),
            "version": self.version,
            "summary": self.summary,
            "justification": self.justification,
            "impact": self.impact,
            "test_summary": self.test_summary,
            "backout_plan": self.backout_plan,
            "supersedes": str(self.supersedes_id) if self.supersedes_id else None,
            "drafted_with": str(self.drafted_with_id) if self.drafted_with_id else None,
        }


class CabRequest(models.Model):
    """A request for CAB decisions on one intent, bound to the pack version and assessment it was opened on."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    intent = models.ForeignKey(DeploymentIntent, on_delete=models.PROTECT, related_name="cab_requests")
    evidence_pack = models.ForeignKey(EvidencePack, on_delete=models.PROTECT, related_name="cab_requests")
    pack_version = models.PositiveIntegerField()
    assessment = models.ForeignKey(RiskAssessment, on_delete=models.PROTECT, related_name="+")
    submission = models.ForeignKey(CabSubmission, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    blast_radius_class = models.CharField(max_length=32)
    quorum = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=16, choices=[(s.value, s.value) for s in RequestState], default="open")
    opened_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["intent", "state"], name="cab_request_intent_state_idx")]

    @property
    def scope(self) -> Scope:
        return self.intent.scope

    def snapshot(self) -> dict[str, Any]:
        return {
            "intent": str(self.intent_id),
            "evidence_pack": str(self.evidence_pack_id),
            "pack_version": self.pack_version,
            "assessment": str(self.assessment_id),
            "submission": str(self.submission_id) if self.submission_id else None,
            "blast_radius_class": self.blast_radius_class,
            "quorum": self.quorum,
            "state": self.state,
        }


class DecisionKind(models.TextChoices):
    APPROVE = "approve"
    REJECT = "reject"
    CONDITIONAL = "conditional"


class CabDecision(models.Model):
    """One approver's decision on one request. Never updated; one per person per request."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(CabRequest, on_delete=models.PROTECT, related_name="decisions")
    approver = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=DecisionKind.choices)
    reason = models.TextField(blank=True, default="")
    conditions = models.JSONField(default=dict)
    expires_at = models.DateTimeField(null=True, blank=True)  # approve / conditional only
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "approver"], name="uniq_decision_per_person")]

    @property
    def scope(self) -> Scope:
        return self.request.intent.scope

    @property
    def approves(self) -> bool:
        return self.kind in (DecisionKind.APPROVE, DecisionKind.CONDITIONAL)

    def in_force(self, at: datetime) -> bool:
        revoked = hasattr(self, "revocation")
        return self.approves and not revoked and self.expires_at is not None and self.expires_at > at

    def snapshot(self) -> dict[str, Any]:
        return {
            "request": str(self.request_id),
            "approver": self.approver.get_username(),
            "kind": self.kind,
            "reason": self.reason,
            "conditions": self.conditions,
            "expires_at": _iso(self.expires_at),
        }


class DecisionRevocation(models.Model):
    """A Platform Admin withdrew an approval; the decision row itself stays as it was."""

    decision = models.OneToOneField(CabDecision, on_delete=models.PROTECT, related_name="revocation")
    revoked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)


class ExceptionKind(models.TextChoices):
    VULNERABILITY = "vulnerability"
    UNSIGNED_PACKAGE = "unsigned_package"
    SCOPE = "scope"
    GATE_OVERRIDE = "gate_override"


NEEDS_CAB = frozenset({ExceptionKind.SCOPE, ExceptionKind.GATE_OVERRIDE})
NEEDS_ARTIFACT = frozenset({ExceptionKind.VULNERABILITY, ExceptionKind.UNSIGNED_PACKAGE})


class PolicyException(models.Model):
    """A time-boxed, owned exception to a policy rule, with compensating controls."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32, choices=ExceptionKind.choices)
    intent = models.ForeignKey(
        DeploymentIntent, null=True, blank=True, on_delete=models.PROTECT, related_name="exceptions"
    )
    artifact = models.ForeignKey(Artifact, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=200)  # finding id, gate name, target scope...
    justification = models.TextField()
    compensating_controls = models.TextField()
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        max_length=16, choices=[(s.value, s.value) for s in ExceptionState], default=ExceptionState.REQUESTED
    )
    quorum = models.PositiveSmallIntegerField(default=0)  # CAB approvals needed (scope / gate_override)
    expires_at = models.DateTimeField()
    original_expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, default="")
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    lapsed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "expires_at"], name="exception_state_expiry_idx")]

    @property
    def scope(self) -> Scope:
        if self.intent_id:
            return self.intent.scope  # type: ignore[union-attr]
        return self.artifact.scope  # type: ignore[union-attr]

    def snapshot(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "intent": str(self.intent_id) if self.intent_id else None,
            "artifact": str(self.artifact_id) if self.artifact_id else None,
            "subject": self.subject,
            "owner": self.owner.get_username(),
            "state": self.state,
            "quorum": self.quorum,
            "expires_at": _iso(self.expires_at),
            "original_expires_at": _iso(self.original_expires_at),
        }


class ExceptionApproval(models.Model):
    """A Security Reviewer's approval, or one CAB approver's vote (scope / gate_override)."""

    exception = models.ForeignKey(PolicyException, on_delete=models.PROTECT, related_name="approvals")
    approver = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    capacity = models.CharField(max_length=16, choices=[("security", "security"), ("cab", "cab")])
    reason = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["exception", "approver"], name="uniq_exception_approver")]


class Priority(models.TextChoices):
    P0 = "P0"
    P1 = "P1"


class BreakGlass(models.Model):
    """An emergency window for a P0/P1 security fix: dual control, at most 4 hours, skips soak only."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    intent = models.ForeignKey(DeploymentIntent, on_delete=models.PROTECT, related_name="break_glass")
    priority = models.CharField(max_length=2, choices=Priority.choices)
    reason = models.TextField()
    duration_hours = models.PositiveSmallIntegerField()
    state = models.CharField(
        max_length=16, choices=[(s.value, s.value) for s in BreakGlassState], default=BreakGlassState.PENDING
    )
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    review_due_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_notes = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def scope(self) -> Scope:
        return self.intent.scope

    def in_force(self, at: datetime) -> bool:
        return (
            self.state != BreakGlassState.PENDING
            and self.confirmed_at is not None
            and self.expires_at is not None
            and self.confirmed_at <= at < self.expires_at
        )

    def snapshot(self) -> dict[str, Any]:
        return {
            "intent": str(self.intent_id),
            "priority": self.priority,
            "reason": self.reason,
            "duration_hours": self.duration_hours,
            "state": self.state,
            "requested_by": self.requested_by.get_username(),
            "confirmed_by": self.confirmed_by.get_username() if self.confirmed_by else None,
            "expires_at": _iso(self.expires_at),
            "review_due_at": _iso(self.review_due_at),
            "reviewed_by": self.reviewed_by.get_username() if self.reviewed_by else None,
        }


class CabComment(models.Model):
    """One message in a CAB request's discussion thread. Never edited: a correction is a new comment.
    `mentions` are the usernames the body names with @username, resolved when it was posted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(CabRequest, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    mentions = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["request", "created_at"], name="cab_comment_request_idx")]

    @property
    def scope(self) -> Scope:
        return self.request.intent.scope

    def snapshot(self) -> dict[str, Any]:
        return {
            "request": str(self.request_id),
            "author": self.author.get_username(),
            "body": self.body,
            "mentions": list(self.mentions),
        }
