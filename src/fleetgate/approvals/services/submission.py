"""Submitting an intent for deployment: evidence and risk first, then CAB or `cab_not_required`.
Also the CAB submission (the change-request narrative the board reads)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from fleetgate.approvals.models import CabSubmission, PolicyException
from fleetgate.approvals.queries import pack_authors
from fleetgate.approvals.services import cab
from fleetgate.approvals.services.common import Refused, recording_refusals, transition
from fleetgate.approvals.states import ExceptionState
from fleetgate.assistant import queries as assistant
from fleetgate.audit import services as audit
from fleetgate.catalog.models import Artifact
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import EvidenceIncomplete, FieldIssue, InvalidTransition, RiskNotAssessed
from fleetgate.core.lookups import locked, user_of
from fleetgate.core.validation import Issues
from fleetgate.evidence import assemble, completeness
from fleetgate.evidence.models import EvidencePack
from fleetgate.intents import services as intents
from fleetgate.intents.models import DeploymentIntent
from fleetgate.intents.states import TERMINAL_STATES, Action
from fleetgate.risk import queries as risk
from fleetgate.risk.models import RiskAssessment

SUBMISSION_FIELDS = ("summary", "justification", "impact", "test_summary", "backout_plan")
MIN_TEXT = 10


def create_submission(*, actor: Actor, intent_id: UUID | str, data: dict[str, Any]) -> CabSubmission:
    """A new version of the intent's CAB submission; the previous one stays, superseded. `drafted_with`
    names the asker's own assistant draft-cab-note interaction about this intent the text started from."""
    issues = Issues()
    for name in SUBMISSION_FIELDS:
        if len(str(data.get(name, "")).strip()) < MIN_TEXT:
            issues.add(name, "required", f"Write the {name.replace('_', ' ')} (at least {MIN_TEXT} characters).")
    issues.raise_if_any("The CAB submission is incomplete; fill in every section.")
    with transaction.atomic():
        intent = locked(DeploymentIntent, intent_id, "intent")
        permissions.require(actor, "cab.submission.create", intent)
        if intent.state in TERMINAL_STATES:
            raise InvalidTransition(
                f"Intent is {intent.state}; a CAB submission is for a change still on its way.",
                state=intent.state,
                action="cab_submission",
            )
        drafted_with = data.get("drafted_with") or None
        if drafted_with is not None:
            why = assistant.draft_issue(drafted_with, intent_id=intent.pk, user_pk=actor.user_pk)
            if why is not None:
                issues.add("drafted_with", *why)
                issues.raise_if_any("The draft named in drafted_with cannot be used for this submission.")
        previous = CabSubmission.objects.filter(intent=intent).order_by("-version").first()
        row = CabSubmission.objects.create(
            intent=intent,
            version=(previous.version + 1) if previous else 1,
            supersedes=previous,
            drafted_with_id=drafted_with,
            created_by=user_of(actor),
            **{name: str(data[name]).strip() for name in SUBMISSION_FIELDS},
        )
        audit.record(
            actor=actor,
            action="cab_submission.created",
            subject_type="cab_submission",
            subject_id=row.pk,
            after=row.snapshot(),
            reason=f"Drafted with the assistant (interaction {drafted_with})" if drafted_with else "",
        )
    return row


def submit(
    *, actor: Actor, intent_id: UUID | str, expected_etag: str | None = None, now: datetime | None = None
) -> DeploymentIntent:
    """draft → submitted, then (same transaction) → awaiting_cab with a CAB request, or → approved
    with `intent.cab_not_required`. Refused as a whole when evidence or risk is missing."""
    now = now or timezone.now()
    with recording_refusals(actor), transaction.atomic():
        # intents.submit holds the row lock (with the related rows loaded) until this transaction ends
        intent = intents.submit(actor=actor, intent_id=intent_id, expected_etag=expected_etag)
        pack, assessment = _evidence_and_risk(actor, intent, now)
        authored = pack_authors(pack, assessment).get(actor.user_pk) if actor.user_pk is not None else None
        if authored:
            raise Refused(
                f"Separation of duties: {authored} for {intent.name}, so another Publisher submits it "
                "(packaging and publishing are separate, per change).",
                rule="packager-submits",
                subject_type="intent",
                subject_id=intent.pk,
                attempted="intent.submit",
            )
        if assessment.cab_required:
            transition(
                actor,
                intent,
                Action.REQUIRE_CAB,
                "intent.cab_required",
                now,
                {"assessment_id": str(assessment.pk), "score": assessment.score, "reasons": list(assessment.reasons)},
            )
            cab.open_request(
                actor=actor, intent=intent, pack=pack, assessment=assessment, opened_by=user_of(actor), now=now
            )
        else:
            transition(
                actor,
                intent,
                Action.APPROVE,
                "intent.cab_not_required",
                now,
                {
                    "decided_by": "policy",
                    "assessment_id": str(assessment.pk),
                    "score": assessment.score,
                    "rubric_version": assessment.risk_model_id,
                    "evidence_pack": str(pack.pk),
                    "pack_version": pack.version,
                },
                reason=f"Risk {assessment.score} with rubric {assessment.risk_model_id} requires no CAB decision.",
            )
    return intent


def _evidence_and_risk(actor: Actor, intent: DeploymentIntent, now: datetime) -> tuple[EvidencePack, RiskAssessment]:
    assessment = risk.latest(intent.pk)
    pack = EvidencePack.objects.filter(intent=intent).order_by("-sealed_at", "-version").first()
    if pack is None:
        gaps = _gaps_without_pack(actor, intent, assessment, now)
        raise EvidenceIncomplete(
            f"No sealed evidence pack for {intent.name}; {len(gaps)} gap(s) to close, then seal and submit again.",
            errors=gaps,
            failed_checks=sorted({g.rule for g in gaps}),
        )
    if assessment is None:  # pragma: no cover - a pack cannot be sealed without one
        raise RiskNotAssessed(f"{intent.name} has no risk assessment; run `fleetgate risk assess`.")
    if assessment.artifact_id != pack.artifact_id:
        raise RiskNotAssessed(
            f"The latest risk assessment is for artifact {assessment.artifact_id}, but the sealed pack is for "
            f"{pack.artifact_id}; assess the packed artifact (or seal a pack for the assessed one).",
            assessment=str(assessment.pk),
            evidence_pack=str(pack.pk),
        )
    body = json.loads(pack.sealed_json)["body"]
    gaps = [g.as_issue() for g in completeness.check(body)]
    sealed_risk = (body.get("risk") or {}).get("assessment_id")
    if sealed_risk != str(assessment.pk):
        gaps.append(
            FieldIssue(
                "risk",
                "risk-assessed",
                f"Pack v{pack.version} seals assessment {sealed_risk}, but the latest is {assessment.pk}; "
                "seal a new pack version.",
            )
        )
    gaps += _lapsed_exceptions(body, now)
    if gaps:
        raise EvidenceIncomplete(
            f"Evidence pack v{pack.version} no longer holds; {len(gaps)} gap(s) to close.",
            errors=gaps,
            failed_checks=sorted({g.rule for g in gaps}),
        )
    return pack, assessment


def _lapsed_exceptions(body: dict[str, Any], now: datetime) -> list[FieldIssue]:
    ids = [e["id"] for e in body.get("exceptions", [])]
    valid = set(
        PolicyException.objects.filter(pk__in=ids, state=ExceptionState.APPROVED, expires_at__gt=now).values_list(
            "pk", flat=True
        )
    )
    return [
        FieldIssue(
            f"exceptions.{e}", "exceptions-unexpired", f"Exception {e} the pack relies on is no longer in force."
        )
        for e in ids
        if UUID(e) not in valid
    ]


def _gaps_without_pack(
    actor: Actor, intent: DeploymentIntent, assessment: RiskAssessment | None, now: datetime
) -> list[FieldIssue]:
    artifacts = list(Artifact.objects.filter(version=intent.version).order_by("created_at"))
    artifact = assessment.artifact if assessment else (artifacts[0] if len(artifacts) == 1 else None)
    sealed = FieldIssue(
        "evidence_pack", "pack-sealed", "No sealed evidence pack; seal one with `POST /api/v1/evidence-packs/`."
    )
    if artifact is None:
        why = "no artifact is registered" if not artifacts else "several artifacts exist and none is assessed"
        return [FieldIssue("artifact", "artifact-registered", f"Version {intent.version.version}: {why}."), sealed]
    body = assemble.body(intent=intent, artifact=artifact, actor=actor, at=now, version=1, previous=None)
    gaps = completeness.check(body, artifact_digest_ok=assemble.stored_digest_ok(artifact))
    return [*(g.as_issue() for g in gaps), sealed]
