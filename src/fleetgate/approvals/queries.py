"""Scoped reads of approvals, the review view, the evidence sources, and `promotion_allowed`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils import timezone

from fleetgate.approvals import policy
from fleetgate.approvals.models import (
    NEEDS_ARTIFACT,
    BreakGlass,
    CabDecision,
    CabRequest,
    CabSubmission,
    PolicyException,
)
from fleetgate.approvals.policy import Decision
from fleetgate.approvals.states import BreakGlassState, ExceptionState, RequestState
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.roles import Role
from fleetgate.core.scoping import APPLICATION, INTENT, scoped
from fleetgate.evidence.inputs import ApprovedException
from fleetgate.evidence.models import EvidenceItem, EvidencePack
from fleetgate.intents.models import DeploymentIntent
from fleetgate.intents.states import State
from fleetgate.risk import queries as risk

ROLLOUT_STATES = frozenset({State.APPROVED, State.IN_PROGRESS, State.PAUSED})
BEFORE_GATE_STATES = ROLLOUT_STATES | {State.AWAITING_CAB}


def requests(actor: Actor | None = None) -> QuerySet[CabRequest]:
    qs = CabRequest.objects.select_related(
        "intent__application", "intent__version", "intent__publisher", "evidence_pack", "assessment", "opened_by"
    ).prefetch_related("decisions__approver", "decisions__revocation")
    return scoped(actor, qs, INTENT.via("intent"))


def pending_for(actor: Actor) -> list[CabRequest]:
    """Open requests this person may decide on: CAB Approver over the intent's scope (granted before
    the change was submitted), not conflicted, not decided yet."""
    if actor.kind != "user" or not actor.has_role(Role.CAB_APPROVER):
        return []
    out = []
    decidable = [State.AWAITING_CAB, State.APPROVED, State.IN_PROGRESS, State.PAUSED, State.HALTED]  # + re-approvals
    for request in requests().filter(state=RequestState.OPEN, intent__state__in=decidable):
        if not permissions.can(actor, "cab.decide", request.intent):
            continue
        if not permissions.granted_before(actor, "cab.decide", request.intent, request.intent.submitted_at):
            continue
        if any(d.approver_id == actor.user_pk for d in request.decisions.all()):
            continue
        if actor.user_pk in conflicts_of_interest(request, request.intent):
            continue
        out.append(request)
    return out


def mine(actor: Actor) -> QuerySet[CabRequest]:
    """Requests for changes I submitted or publish."""
    return requests().filter(Q(opened_by_id=actor.user_pk) | Q(intent__publisher_id=actor.user_pk))


def decisions(actor: Actor | None = None) -> QuerySet[CabDecision]:
    qs = CabDecision.objects.select_related("approver", "request", "revocation", "revocation__revoked_by")
    return scoped(actor, qs, INTENT.via("request__intent"))


def submissions(actor: Actor | None = None) -> QuerySet[CabSubmission]:
    return scoped(actor, CabSubmission.objects.select_related("created_by", "intent"), INTENT.via("intent"))


def exceptions(actor: Actor | None = None) -> QuerySet[PolicyException]:
    """Read in the intent's scope, or the artifact's application's when the exception has no intent."""
    qs = PolicyException.objects.select_related("owner", "requested_by", "intent", "artifact").prefetch_related(
        "approvals__approver"
    )
    return scoped(
        actor,
        qs,
        INTENT.via("intent", intent__isnull=False),
        APPLICATION.via("artifact__version__application", intent__isnull=True),
    )


def break_glass(actor: Actor | None = None) -> QuerySet[BreakGlass]:
    qs = BreakGlass.objects.select_related("intent", "requested_by", "confirmed_by", "reviewed_by")
    return scoped(actor, qs, INTENT.via("intent"))


def reviews_due(at: datetime | None = None) -> QuerySet[BreakGlass]:
    """Break-glass uses a CAB member has yet to review (overdue ones first)."""
    return break_glass().filter(state=BreakGlassState.ACTIVE).order_by("review_due_at")


def approvals_in_force(request: CabRequest, at: datetime) -> list[CabDecision]:
    seen: set[int] = set()
    out = []
    for decision in request.decisions.all():
        if decision.in_force(at) and decision.approver_id not in seen:
            seen.add(decision.approver_id)
            out.append(decision)
    return out


def conflicts_of_interest(request: CabRequest, intent: DeploymentIntent) -> dict[int, str]:
    """Everybody who may not decide on this request, with why: submitter, publisher, packagers."""
    pack = request.evidence_pack
    people: dict[int, str] = {}

    def add(user_id: int | None, why: str) -> None:
        if user_id is not None:
            people.setdefault(user_id, why)

    add(request.opened_by_id, "you submitted this change")
    add(intent.publisher_id, "you are the intent's publisher")
    for user_id, why in pack_authors(pack, request.assessment).items():
        add(user_id, why)
    for author in CabSubmission.objects.filter(intent=intent).values_list("created_by_id", flat=True):
        add(author, "you wrote its CAB submission")
    return people


def pack_authors(pack: EvidencePack, assessment: Any | None) -> dict[int, str]:
    """Who packaged this change: the artifact's uploader, the pack's sealer, the uploaders of the
    evidence it seals and the declarer of its risk factors (packaging ≠ publishing, per change)."""
    people: dict[int, str] = {}

    def add(user_id: int | None, why: str) -> None:
        if user_id is not None:
            people.setdefault(user_id, why)

    add(pack.artifact.uploaded_by_id, "you packaged the artifact")
    add(pack.sealed_by_id, "you sealed its evidence pack")
    if assessment is not None:
        add(assessment.created_by_id, "you declared its risk factors")
    body = json.loads(pack.sealed_json)["body"]
    ids = [s["evidence_id"] for items in body.get("sections", {}).values() for s in items]
    for uploader in EvidenceItem.objects.filter(pk__in=ids).values_list("created_by_id", flat=True):
        add(uploader, "you uploaded evidence in its pack")
    return people


# --- evidence's input sources (registered in apps.py) ---------------------------------------------


def approved_exceptions(*, artifact_sha256: str, intent_id: UUID | None) -> list[ApprovedException]:
    qs = PolicyException.objects.filter(
        state=ExceptionState.APPROVED, kind__in=list(NEEDS_ARTIFACT), artifact__sha256=artifact_sha256
    )
    if intent_id is not None:
        qs = qs.filter(Q(intent__isnull=True) | Q(intent_id=intent_id))
    out = []
    for row in qs.prefetch_related("approvals__approver"):
        security = [a.approver.get_username() for a in row.approvals.all() if a.capacity == "security"]
        out.append(
            ApprovedException(
                id=str(row.pk),
                kind=row.kind,
                subject=row.subject,
                expires_at=row.expires_at,
                approved_by=",".join(security),
            )
        )
    return out


def cab_submission_present(*, intent_id: UUID) -> bool:
    return CabSubmission.objects.filter(intent_id=intent_id).exists()


# --- the review view --------------------------------------------------------------------------------


def review(request: CabRequest, at: datetime | None = None) -> dict[str, Any]:
    at = at or timezone.now()
    intent, pack, assessment = request.intent, request.evidence_pack, request.assessment
    body = json.loads(pack.sealed_json)["body"]
    sections = {kind: [s["status"] for s in items] for kind, items in body.get("sections", {}).items()}
    findings = [
        f for s in body.get("sections", {}).get("vulnerability_scan", []) for f in s["summary"].get("findings", [])
    ]
    in_force = approvals_in_force(request, at)
    return {
        "request": request,
        "evidence": {
            "pack": str(pack.pk),
            "version": pack.version,
            "sha256": pack.sha256,
            "sealed_at": pack.sealed_at,
            "current": not EvidencePack.objects.filter(intent=intent, version__gt=pack.version).exists(),
            "sections": sections,
            "findings_by_severity": _count(f["severity"] for f in findings),
            "exceptions": body.get("exceptions", []),
        },
        "risk": {
            "assessment": str(assessment.pk),
            "score": assessment.score,
            "cab_required": assessment.cab_required,
            "rubric_version": assessment.risk_model_id,
            "reasons": list(assessment.reasons),
            "factors": assessment.factors,
        },
        "scope": {
            **intent.scope.as_dict(),
            "rings": intent.ring_plan,
            "target_devices": intent.target_devices,
            "blast_radius_class": request.blast_radius_class,
            "quorum": request.quorum,
        },
        "diff": diff_from_previous(intent),
        "decisions": list(request.decisions.all()),
        "approvals_in_force": len(in_force),
        "submission": request.submission,
    }


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        out[value] = out.get(value, 0) + 1
    return out


def diff_from_previous(intent: DeploymentIntent) -> dict[str, Any]:
    """What changed since the last approved change of the same application (version, plan, target)."""
    previous = (
        DeploymentIntent.objects.filter(
            application_id=intent.application_id,
            state__in=[State.APPROVED, State.IN_PROGRESS, State.PAUSED, State.COMPLETED],
        )
        .exclude(pk=intent.pk)
        .select_related("version")
        .order_by("-updated_at")
        .first()
    )
    if previous is None:
        return {"previous": None, "changes": {}}
    mine, theirs = intent.snapshot(), previous.snapshot()
    keys = ("version", "target", "ring_plan", "rollback_plan", "ring_policy")
    return {
        "previous": {"id": str(previous.pk), "name": previous.name, "version": previous.version.version},
        "changes": {k: {"from": theirs[k], "to": mine[k]} for k in keys if mine[k] != theirs[k]},
    }


# --- the promotion gate -------------------------------------------------------------------------------


def promotion_allowed(intent: DeploymentIntent, ring: str, at: datetime | None = None) -> Decision:
    """May `intent` enter `ring` now? Evidence is never skipped; rings from the CAB gate on (pilot in
    policy 1.0) need the required, unexpired, unrevoked approvals on the current pack, within their
    conditions; an expired exception the pack relied on blocks; break-glass skips soak only."""
    at = at or timezone.now()
    decision = Decision(ok=True)
    document = intent.ring_policy.document
    if ring not in intent.rings:
        decision.refuse(f"'{ring}' is not a ring of this intent's plan ({', '.join(intent.rings)}).")
        return decision
    index, gate = policy.ring_index(document, ring), policy.cab_gate_index(document)
    gated = index >= gate
    allowed_states = ROLLOUT_STATES if gated else BEFORE_GATE_STATES
    if intent.state not in allowed_states:
        decision.refuse(f"Intent is {intent.state}; {ring} needs one of: {', '.join(sorted(allowed_states))}.")
    pack = EvidencePack.objects.filter(intent=intent).order_by("-sealed_at", "-version").first()
    assessment = risk.latest(intent.pk)
    if pack is None:
        decision.refuse("No sealed evidence pack: evidence is never skipped.")
    else:
        _exceptions_in_force(decision, json.loads(pack.sealed_json)["body"], at)
    _intent_exceptions(decision, intent, at)
    if assessment is None:
        decision.refuse("No risk assessment.")
    elif gated and assessment.cab_required:
        _cab_approval(decision, intent, pack, ring, at)
    active = [b for b in BreakGlass.objects.filter(intent=intent) if b.in_force(at)]
    if active:
        decision.skip_soak = True
        decision.reasons.append(
            f"break-glass {active[0].pk} ({active[0].priority}) skips soak until {active[0].expires_at}"
        )
    return decision


def _exceptions_in_force(decision: Decision, body: dict[str, Any], at: datetime) -> None:
    for item in body.get("exceptions", []):
        row = PolicyException.objects.filter(pk=item["id"]).first()
        if row is None or row.state != ExceptionState.APPROVED or row.expires_at <= at:
            decision.refuse(
                f"Exception {item['id']} ({item['kind']} {item['subject']}) the pack relies on has expired."
            )


def _intent_exceptions(decision: Decision, intent: DeploymentIntent, at: datetime) -> None:
    for row in PolicyException.objects.filter(intent=intent, state=ExceptionState.EXPIRED):
        decision.refuse(f"Exception {row.pk} ({row.kind} {row.subject}) for this intent has expired.")


def _cab_approval(
    decision: Decision, intent: DeploymentIntent, pack: EvidencePack | None, ring: str, at: datetime
) -> None:
    document = intent.ring_policy.document
    approved = [
        r
        for r in requests().filter(intent=intent, state=RequestState.APPROVED)
        if pack and r.evidence_pack_id == pack.pk
    ]
    if not approved:
        decision.refuse(f"{ring} needs a CAB approval on evidence pack v{pack.version if pack else '?'}; none yet.")
        return
    request = approved[0]
    in_force = approvals_in_force(request, at)
    if len(in_force) < request.quorum:
        decision.refuse(
            f"{ring} needs {request.quorum} CAB approval(s) in force; {len(in_force)} remain "
            "(others expired or were revoked)."
        )
        return
    conditions = policy.strictest([d.conditions for d in in_force if d.conditions], document)
    decision.conditions = conditions
    if "max_ring" in conditions and policy.ring_index(document, ring) > policy.ring_index(
        document, conditions["max_ring"]
    ):
        decision.refuse(f"CAB approved up to {conditions['max_ring']} only; {ring} is beyond it.")


def promotion_checks(intent: DeploymentIntent, ring: str, at: datetime | None = None) -> dict[str, Decision]:
    """`promotion_allowed` split by the rollout gate each part feeds: CAB approval (with its
    conditions and break-glass), exceptions, and everything else (plan, state, pack, assessment)."""
    at = at or timezone.now()
    whole = promotion_allowed(intent, ring, at)
    exceptions = Decision(ok=True)
    pack = EvidencePack.objects.filter(intent=intent).order_by("-sealed_at", "-version").first()
    if pack is not None:
        _exceptions_in_force(exceptions, json.loads(pack.sealed_json)["body"], at)
    _intent_exceptions(exceptions, intent, at)
    cab = Decision(ok=True, conditions=whole.conditions, skip_soak=whole.skip_soak)
    document = intent.ring_policy.document
    assessment = risk.latest(intent.pk)
    gated = ring in intent.rings and policy.ring_index(document, ring) >= policy.cab_gate_index(document)
    if gated and assessment is not None and assessment.cab_required:
        _cab_approval(cab, intent, pack, ring, at)
    taken = set(exceptions.reasons) | set(cab.reasons)
    rest = Decision(ok=True)
    for reason in whole.reasons:
        if reason not in taken and not reason.startswith("break-glass"):
            rest.refuse(reason)
    return {"cab": cab, "exceptions": exceptions, "other": rest}
