"""Every write to risk: load the default rubric, propose / approve / activate / reject versions, assess."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.catalog.models import Artifact
from fleetgate.core import permissions
from fleetgate.core.actors import SYSTEM, Actor
from fleetgate.core.errors import Conflict, FieldIssue, InvalidTransition, SeparationOfDuties, ValidationFailed
from fleetgate.core.lookups import locked, user_of
from fleetgate.core.validation import Issues
from fleetgate.intents.models import DeploymentIntent
from fleetgate.risk import explain, gather, preview, queries, rubric
from fleetgate.risk.models import ModelState, RiskAssessment, RiskModel, Role

MIN_JUSTIFICATION = 10


def load_default_rubric() -> None:
    """Load the embedded rubric once, active when nothing is; later versions are governed changes."""
    document = rubric.embedded_document()
    with transaction.atomic():
        if RiskModel.objects.filter(version=document["version"]).exists():
            return
        rubric.load(document)
        row = RiskModel.objects.create(
            version=document["version"],
            document=document,
            sha256=rubric.digest(document),
            state=ModelState.PROPOSED
            if RiskModel.objects.filter(state=ModelState.ACTIVE).exists()
            else ModelState.ACTIVE,
            activated_at=timezone.now(),
        )
        audit.record(
            actor=SYSTEM,
            action="risk_model.loaded",
            subject_type="risk_model",
            subject_id=row.version,
            after=row.snapshot(),
        )


def propose_rubric(*, actor: Actor, document: dict[str, Any], reason: str) -> RiskModel:
    rubric.load(document)
    if not reason.strip():
        raise ValidationFailed(
            "Say why the rubric changes.", errors=[FieldIssue("reason", "required", "Give a reason.")]
        )
    with transaction.atomic():
        permissions.require(actor, "rubric.propose")
        if RiskModel.objects.filter(version=document["version"]).exists():
            raise Conflict(f"Rubric {document['version']} exists; versions are immutable, pick a new one.")
        row = RiskModel.objects.create(
            version=document["version"],
            document=document,
            sha256=rubric.digest(document),
            state=ModelState.PROPOSED,
            reason=reason,
            proposed_by=user_of(actor),
        )
        audit.record(
            actor=actor,
            action="risk_model.proposed",
            subject_type="risk_model",
            subject_id=row.version,
            after=row.snapshot(),
            reason=reason,
        )
    return row


def _transition(
    actor: Actor, version: str, expected: tuple[ModelState, ...], action: str, reason: str | None = None
) -> RiskModel:
    """Lock the version and check, in order: the actor's role, the reason (when one is required), the
    state, and separation of duties (nobody decides on a rubric they proposed)."""
    row = locked(RiskModel, version, "risk rubric version")
    permissions.require(actor, "rubric.approve")
    if reason is not None and not reason.strip():
        raise ValidationFailed(
            f"Say why rubric {version} is {action}ed; the reason is recorded in the ledger.",
            errors=[FieldIssue("reason", "required", "Give a reason.")],
        )
    if row.state not in expected:
        needs = " or ".join(expected)
        raise InvalidTransition(
            f"Rubric {version} is {row.state}; {action} needs {needs}.", state=row.state, action=action
        )
    if row.proposed_by_id is not None and row.proposed_by_id == actor.user_pk:
        raise SeparationOfDuties("You proposed this rubric; another person approves it.")
    return row


def approve_rubric(*, actor: Actor, version: str, reason: str = "") -> RiskModel:
    """CAB approves a proposal: it is scored in parallel with the active rubric until activated."""
    with transaction.atomic():
        row = _transition(actor, version, (ModelState.PROPOSED,), "approve")
        if RiskModel.objects.filter(state=ModelState.PARALLEL).exists():
            raise Conflict("Another rubric is in its parallel-scoring period; activate or reject it first.")
        before = row.snapshot()
        row.state, row.approved_by, row.parallel_since = ModelState.PARALLEL, user_of(actor), timezone.now()
        row.save(update_fields=["state", "approved_by", "parallel_since"])
        audit.record(
            actor=actor,
            action="risk_model.approved",
            subject_type="risk_model",
            subject_id=version,
            before=before,
            after=row.snapshot(),
            reason=reason,
        )
    return row


def activate_rubric(*, actor: Actor, version: str, reason: str = "") -> RiskModel:
    """CAB ends the parallel period: this version becomes active, the previous one retires."""
    with transaction.atomic():
        row = _transition(actor, version, (ModelState.PARALLEL,), "activate")
        before = row.snapshot()
        now = timezone.now()
        RiskModel.objects.filter(state=ModelState.ACTIVE).update(state=ModelState.RETIRED, retired_at=now)
        row.state, row.activated_at = ModelState.ACTIVE, now
        row.save(update_fields=["state", "activated_at"])
        audit.record(
            actor=actor,
            action="risk_model.activated",
            subject_type="risk_model",
            subject_id=version,
            before=before,
            after=row.snapshot(),
            reason=reason,
        )
    return row


def reject_rubric(*, actor: Actor, version: str, reason: str) -> RiskModel:
    """CAB turns a version down, as a proposal or during its parallel period: it never scores again.

    The reason is required; the active version is untouched and earlier assessments keep their rubric."""
    with transaction.atomic():
        row = _transition(actor, version, (ModelState.PROPOSED, ModelState.PARALLEL), "reject", reason)
        before = row.snapshot()
        row.state, row.rejected_by, row.rejected_at = ModelState.REJECTED, user_of(actor), timezone.now()
        row.rejection_reason = reason.strip()
        row.save(update_fields=["state", "rejected_by", "rejected_at", "rejection_reason"])
        audit.record(
            actor=actor,
            action="risk_model.rejected",
            subject_type="risk_model",
            subject_id=version,
            before=before,
            after=row.snapshot(),
            reason=row.rejection_reason,
        )
    return row


def _declared(model: rubric.Rubric, declared: dict[str, Any]) -> dict[str, dict[str, str]]:
    issues = Issues()
    for name in sorted(declared):
        if name not in model.factors:
            issues.add(f"declared.{name}", "unknown-factor", f"Rubric {model.version} has no factor '{name}'.")
        elif model.factors[name].derived:
            issues.add(
                f"declared.{name}",
                "derived-factor",
                f"{name} is derived from evidence and the intent; it cannot be declared.",
            )
    out: dict[str, dict[str, str]] = {}
    for name in model.declared:
        choice = declared.get(name)
        if not isinstance(choice, dict):
            issues.add(f"declared.{name}", "required", f"Choose one of: {', '.join(model.factors[name].options)}.")
            continue
        option, justification = choice.get("option"), str(choice.get("justification", "")).strip()
        if option not in model.factors[name].options:
            issues.add(
                f"declared.{name}.option",
                "choice",
                f"'{option}' is not one of: {', '.join(model.factors[name].options)}.",
            )
        if len(justification) < MIN_JUSTIFICATION:
            issues.add(
                f"declared.{name}.justification",
                "required",
                f"Justify the choice (at least {MIN_JUSTIFICATION} characters).",
            )
        out[name] = {"option": str(option), "justification": justification}
    issues.raise_if_any("The declared factors are not valid; fix the listed fields.")
    return out


def assess(
    *, actor: Actor, intent_id: UUID | str, declared: dict[str, Any], artifact_id: UUID | str | None = None
) -> RiskAssessment:
    """Score an intent: derived factors from evidence and the intent, declared ones with justification.

    During a parallel-scoring period the candidate rubric scores the same inputs too; both are stored."""
    with transaction.atomic():
        intent = locked(DeploymentIntent, intent_id, "intent")
        permissions.require(actor, "risk.assess", intent)
        artifact = preview.artifact_of(intent, artifact_id)
        active = queries.active_model()
        choices = _declared(rubric.load(active.document), declared)
        inputs = {"facts": gather.facts(intent, artifact, timezone.now()).as_dict(), "declared": choices}
        primary = _store(actor, intent, artifact, active, inputs, Role.PRIMARY, None)
        candidate = queries.parallel_model()
        twin = None
        if candidate is not None:
            candidate_choices = {k: v for k, v in choices.items() if k in rubric.load(candidate.document).declared}
            twin = _store(
                actor, intent, artifact, candidate, {**inputs, "declared": candidate_choices}, Role.PARALLEL, primary
            )
        audit.record(
            actor=actor,
            action="risk.assessed",
            subject_type="intent",
            subject_id=intent.pk,
            after={**primary.snapshot(), "parallel": twin.snapshot() if twin else None},
        )
    return primary


def _store(
    actor: Actor,
    intent: DeploymentIntent,
    artifact: Artifact,
    model: RiskModel,
    inputs: dict[str, Any],
    role: Role,
    primary: RiskAssessment | None,
) -> RiskAssessment:
    result = explain.compute(model.document, inputs)
    return RiskAssessment.objects.create(
        intent=intent,
        artifact=artifact,
        risk_model=model,
        role=role,
        primary=primary,
        inputs=inputs,
        inputs_sha256=explain.inputs_digest(inputs),
        factors=result["factors"],
        raw=result["raw"],
        score=result["score"],
        cab_required=result["cab_required"],
        reasons=result["reasons"],
        created_by=user_of(actor),
    )
