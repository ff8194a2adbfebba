"""CAB requests and decisions: open, decide (approve / reject / conditional), revoke, void on a new pack."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from fleetgate.approvals import policy
from fleetgate.approvals.models import CabDecision, CabRequest, CabSubmission, DecisionKind, DecisionRevocation
from fleetgate.approvals.queries import conflicts_of_interest
from fleetgate.approvals.services.common import Refused, holders, recording_refusals, require_person, transition
from fleetgate.approvals.states import CLOSED, TRANSITIONS, RequestAction, RequestState
from fleetgate.audit import services as audit
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import (
    AlreadyRevoked,
    ApprovalExpired,
    Conflict,
    FieldIssue,
    NotFound,
    RequestClosed,
    ValidationFailed,
)
from fleetgate.core.fsm import next_state
from fleetgate.core.lookups import locked, user_of
from fleetgate.core.roles import Role
from fleetgate.core.validation import Issues, check_choice
from fleetgate.evidence.models import EvidencePack
from fleetgate.identity.queries import from_user
from fleetgate.intents.models import DeploymentIntent
from fleetgate.intents.states import Action, State
from fleetgate.notifications import services as notifications
from fleetgate.risk import queries as risk
from fleetgate.risk.models import RiskAssessment

SUBJECT = "cab_request"
DECIDABLE_INTENT_STATES = frozenset({State.AWAITING_CAB, State.APPROVED})
# An intent rolling out (running, awaiting judgment, paused or halted) whose pack is re-sealed is approved again
# while its rollout holds: a re-approval request is decided in these states too.
ROLLING_OUT_STATES = frozenset({State.IN_PROGRESS, State.PAUSED, State.HALTED})


def open_request(
    *,
    actor: Actor,
    intent: DeploymentIntent,
    pack: EvidencePack,
    assessment: RiskAssessment,
    opened_by: Any,
    now: datetime,
    reason: str = "",
    extra: dict[str, Any] | None = None,
) -> CabRequest:
    """Called inside the submitting (or re-sealing) transaction with the intent locked."""
    app = intent.application
    request = CabRequest.objects.create(
        intent=intent,
        evidence_pack=pack,
        pack_version=pack.version,
        assessment=assessment,
        submission=CabSubmission.objects.filter(intent=intent).order_by("-version").first(),
        blast_radius_class=app.blast_radius_class,
        quorum=policy.quorum_for(app.blast_radius_class),
        opened_by=opened_by,
        created_at=now,
    )
    audit.record(
        actor=actor,
        action="cab_request.opened",
        subject_type=SUBJECT,
        subject_id=request.pk,
        after={**request.snapshot(), "score": assessment.score, "reasons": list(assessment.reasons), **(extra or {})},
        reason=reason,
    )
    notifications.notify(
        event="cab_request.opened",
        subject_type=SUBJECT,
        subject_id=request.pk,
        payload={
            "intent": intent.name,
            "application": app.name,
            "version": intent.version.version,
            "score": assessment.score,
            "quorum": request.quorum,
            "pack_version": pack.version,
        },
        recipients=holders(Role.CAB_APPROVER, intent.scope),
    )
    return request


def _validated(
    kind: str, reason: str, conditions: dict[str, Any] | None, expires_in_days: int | None, intent: DeploymentIntent
) -> tuple[dict[str, Any], Any]:
    issues = Issues()
    check_choice(issues, "kind", kind, DecisionKind.values)
    if kind == DecisionKind.REJECT and not reason.strip():
        issues.add("reason", "required", "Say why you reject the change; the publisher needs it to fix it.")
    clean: dict[str, Any] = {}
    if kind == DecisionKind.CONDITIONAL:
        clean = policy.check_conditions(issues, conditions or {}, intent.ring_plan, intent.ring_policy.document)
    elif conditions:
        issues.add("conditions", "conditional-only", "Only a conditional approval carries conditions.")
    lifetime = policy.approval_lifetime(issues, expires_in_days) if kind != DecisionKind.REJECT else None
    issues.raise_if_any("The decision is not valid; fix the listed fields.")
    return clean, lifetime


def decide(
    *,
    actor: Actor,
    request_id: UUID | str,
    kind: str,
    reason: str = "",
    conditions: dict[str, Any] | None = None,
    expires_in_days: int | None = None,
    now: datetime | None = None,
) -> CabDecision:
    """Record one approver's decision; on quorum (or a rejection) move the intent exactly once."""
    now = now or timezone.now()
    try:
        intent_id = CabRequest.objects.filter(pk=request_id).values_list("intent_id", flat=True).first()
    except (ValueError, TypeError):
        intent_id = None
    if intent_id is None:
        raise NotFound(f"No CAB request with id {request_id}; `fleetgate cab list` shows them.")
    with recording_refusals(actor), transaction.atomic():
        intent = locked(DeploymentIntent, intent_id, "intent")  # intent first, then request: one lock order
        request = locked(CabRequest, request_id, "CAB request")
        require_person(actor, attempted=f"cab.{kind}", subject_type=SUBJECT, subject_id=request.pk)
        permissions.require(actor, "cab.decide", intent)
        if request.state in CLOSED or intent.state not in DECIDABLE_INTENT_STATES | ROLLING_OUT_STATES:
            raise RequestClosed(
                f"This CAB request is {request.state} (intent {intent.state}); decisions are closed.",
                state=request.state,
                intent_state=intent.state,
            )
        conflicted = conflicts_of_interest(request, intent)
        if actor.user_pk in conflicted:
            raise Refused(
                f"Separation of duties: {conflicted[actor.user_pk]}, so you may not decide on it.",
                rule="conflict-of-interest",
                subject_type=SUBJECT,
                subject_id=request.pk,
                attempted=f"cab.{kind}",
            )
        if not permissions.granted_before(actor, "cab.decide", intent, intent.submitted_at):
            raise Refused(
                "Separation of duties: your CAB Approver role was granted after this change was submitted; "
                "a newly granted deciding role decides only on changes opened after the grant.",
                rule="role-granted-after-opening",
                subject_type=SUBJECT,
                subject_id=request.pk,
                attempted=f"cab.{kind}",
            )
        if request.decisions.filter(approver_id=actor.user_pk).exists():
            raise Refused(
                "You decided on this request already; one person counts once.",
                rule="one-person-once",
                subject_type=SUBJECT,
                subject_id=request.pk,
                attempted=f"cab.{kind}",
            )
        clean, lifetime = _validated(kind, reason, conditions, expires_in_days, intent)
        decision = CabDecision.objects.create(
            request=request,
            approver=user_of(actor),
            kind=kind,
            reason=reason,
            conditions=clean,
            expires_at=now + lifetime if lifetime else None,
            created_at=now,
        )
        in_force = _approvals_in_force(request, now)
        if kind == DecisionKind.REJECT:
            _close(request, RequestAction.REJECT, now, reason)
        elif in_force >= request.quorum:
            _close(request, RequestAction.APPROVE, now, f"quorum {in_force}/{request.quorum}")
        audit.record(
            actor=actor,
            action="cab.decision_recorded",
            subject_type=SUBJECT,
            subject_id=request.pk,
            after={
                **decision.snapshot(),
                "decision": str(decision.pk),
                "request_state": request.state,
                "approvals_in_force": in_force,
                "quorum": request.quorum,
            },
            reason=reason,
        )
        if request.state == RequestState.REJECTED and intent.state == State.AWAITING_CAB:
            transition(actor, intent, Action.REJECT, "intent.rejected", now, {"cab_request": str(request.pk)}, reason)
        elif request.state == RequestState.APPROVED and intent.state == State.AWAITING_CAB:
            transition(
                actor,
                intent,
                Action.APPROVE,
                "intent.approved",
                now,
                {"cab_request": str(request.pk), "approvals": in_force, "quorum": request.quorum},
            )
        notifications.notify(
            event="cab.decision_made",
            subject_type=SUBJECT,
            subject_id=request.pk,
            payload={"intent": intent.name, "decision": kind, "by": actor.name, "request_state": request.state},
            recipients=[intent.publisher.get_username(), request.opened_by.get_username()],
        )
    return decision


def _approvals_in_force(request: CabRequest, at: datetime) -> int:
    return len({d.approver_id for d in request.decisions.select_related("revocation") if d.in_force(at)})


def _close(request: CabRequest, action: RequestAction, now: datetime, reason: str) -> None:
    request.state = next_state(TRANSITIONS, RequestState(request.state), action)
    request.closed_at, request.close_reason = now, reason
    request.save(update_fields=["state", "closed_at", "close_reason"])


def revoke(*, actor: Actor, decision_id: UUID | str, reason: str, now: datetime | None = None) -> CabDecision:
    """A Platform Admin withdraws an approval; it stops counting toward quorum from now on."""
    now = now or timezone.now()
    if not reason.strip():
        raise ValidationFailed(
            "Say why the approval is revoked.",
            errors=[FieldIssue("reason", "required", "A revocation needs a reason.")],
        )
    with transaction.atomic():
        decision = locked(CabDecision, decision_id, "CAB decision")
        permissions.require(actor, "cab.revoke")
        if DecisionRevocation.objects.filter(decision=decision).exists():
            raise AlreadyRevoked(f"Decision {decision.pk} was revoked already.", decision=str(decision.pk))
        if not decision.approves:
            raise Conflict("Only approvals can be revoked; a rejection stands.", kind=decision.kind)
        if decision.expires_at is not None and decision.expires_at <= now:
            raise ApprovalExpired(
                f"The approval expired at {decision.expires_at.isoformat()}; nothing to revoke.",
                expires_at=decision.expires_at.isoformat(),
            )
        DecisionRevocation.objects.create(decision=decision, revoked_by=user_of(actor), reason=reason, created_at=now)
        request = decision.request
        audit.record(
            actor=actor,
            action="cab.approval_revoked",
            subject_type=SUBJECT,
            subject_id=request.pk,
            before=decision.snapshot(),
            after={
                "decision": str(decision.pk),
                "approvals_in_force": _approvals_in_force(request, now),
                "quorum": request.quorum,
            },
            reason=reason,
            severity="warning",
        )
    return decision


def on_pack_sealed(pack: EvidencePack) -> None:
    """A new pack version voids the CAB requests (and so the approvals) bound to older versions, and
    asks CAB again when the intent still needs it, or when its rollout runs on the re-sealed artifact.
    Runs inside seal_pack's transaction (signal), which holds the intent's lock."""
    intent = locked(DeploymentIntent, pack.intent_id, "intent")
    actor = from_user(pack.sealed_by)
    now = timezone.now()
    stale = _void_stale(pack, actor, now)
    if intent.state in ROLLING_OUT_STATES:
        _ask_reapproval(actor, intent, pack, stale, now)
        return
    if not stale:
        return
    assessment = risk.latest(intent.pk)
    if (
        intent.state in DECIDABLE_INTENT_STATES
        and assessment is not None
        and assessment.cab_required
        and assessment.artifact_id == pack.artifact_id
    ):
        open_request(
            actor=actor,
            intent=intent,
            pack=pack,
            assessment=assessment,
            opened_by=stale[0].opened_by,
            now=now,
            reason=f"re-approval: evidence pack v{pack.version} supersedes v{stale[0].pack_version}",
        )


def _void_stale(pack: EvidencePack, actor: Actor, now: datetime) -> list[CabRequest]:
    stale = list(
        CabRequest.objects.select_for_update()
        .filter(intent_id=pack.intent_id, state__in=[RequestState.OPEN, RequestState.APPROVED])
        .exclude(evidence_pack=pack)
    )
    for request in stale:
        before = request.snapshot()
        _close(request, RequestAction.VOID, now, f"evidence pack v{pack.version} sealed")
        audit.record(
            actor=actor,
            action="cab_request.voided",
            subject_type=SUBJECT,
            subject_id=request.pk,
            before=before,
            after={**request.snapshot(), "superseded_by_pack": str(pack.pk), "pack_version": pack.version},
            reason=request.close_reason,
        )
    return stale


def _ask_reapproval(
    actor: Actor, intent: DeploymentIntent, pack: EvidencePack, stale: list[CabRequest], now: datetime
) -> None:
    """The rollout holds on a re-sealed pack of an artifact it deploys (gate evidence_pack_valid) until CAB
    approves the new pack; without a request nobody could, so one is opened here, saying which pack changed."""
    rollout = getattr(intent, "rollout", None)  # the reverse one-to-one: approvals does not import rollouts
    previous = pack.supersedes
    started_on = rollout.pack_versions.get(str(pack.artifact_id)) if rollout is not None else None
    if rollout is None or previous is None or started_on is None:
        return  # not an artifact this rollout deploys (its first pack): nothing it runs on changed
    sealed = json.loads(pack.sealed_json)["body"].get("risk") or {}
    assessment = RiskAssessment.objects.get(pk=sealed["assessment_id"])
    artifact = pack.artifact
    reason = (
        f"re-approval: the evidence pack of {artifact.filename} ({artifact.platform}) was re-sealed while the "
        f"intent is {intent.state}: v{previous.version} (sha256 {previous.sha256}) is superseded by v{pack.version} "
        f"(sha256 {pack.sha256}); the rollout, started on v{started_on}, holds until CAB approves v{pack.version}"
    )
    resealed = {
        "artifact": str(artifact.pk),
        "rollout": str(rollout.pk),
        "rollout_started_on_pack_version": started_on,
        "previous_pack": {"id": str(previous.pk), "version": previous.version, "sha256": previous.sha256},
        "new_pack": {"id": str(pack.pk), "version": pack.version, "sha256": pack.sha256},
    }
    open_request(
        actor=actor,
        intent=intent,
        pack=pack,
        assessment=assessment,
        opened_by=stale[0].opened_by if stale else pack.sealed_by,
        now=now,
        reason=reason,
        extra={"resealed": resealed},
    )
