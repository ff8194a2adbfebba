"""What people do to a running rollout: pause, resume, halt, roll back, and promote (including the
written judgment on an inconclusive ring). Each is checked and applied here, in one transaction
with its ledger event; the plane work that follows runs in a job (`jobs.py`), so no request
waits on a plane call."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction

from fleetgate.approvals import queries as approvals
from fleetgate.approvals.models import CabRequest
from fleetgate.audit.queries import for_subject
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import Conflict, GateNotMet, InvalidTransition
from fleetgate.core.lookups import locked
from fleetgate.core.roles import Role
from fleetgate.evidence.models import EvidencePack
from fleetgate.identity.sod import Refused, recording_refusals
from fleetgate.intents import services as intents
from fleetgate.intents.models import DeploymentIntent
from fleetgate.intents.states import Action, State
from fleetgate.risk import queries as risk
from fleetgate.rollouts import clock as clocks
from fleetgate.rollouts import facts
from fleetgate.rollouts.models import GateResult, RingRun, Rollout
from fleetgate.rollouts.services.common import event, invalid, set_status
from fleetgate.rollouts.states import RingState

ACTIONS = ("pause", "resume", "halt", "rollback", "promote")
S = Rollout.Status


def _rollout(intent: DeploymentIntent) -> Rollout:
    rollout = Rollout.objects.filter(intent=intent).first()
    if rollout is None:
        raise InvalidTransition(
            f"Intent {intent.name} has not started; start it first.", state=intent.state, action="rollout"
        )
    return rollout


def _reason(reason: str, action: str) -> str:
    text = (reason or "").strip()
    if not text:
        invalid("reason", "required", f"Say why you {action} this rollout.")
    return text[:2000]


def apply(*, actor: Actor, intent_id: UUID | str, action: str, reason: str = "") -> Rollout:
    if action not in ACTIONS:
        invalid("action", "choice", f"One of: {', '.join(ACTIONS)}.")
    with recording_refusals(actor), transaction.atomic():  # a refused judge is recorded (sod.refused)
        intent = locked(DeploymentIntent, intent_id, "intent")
        permissions.require(actor, f"rollout.{action}", intent)
        rollout = _rollout(intent)
        if action == "promote":
            return _promote(actor, intent, rollout, reason)
        text = _reason(reason, action) if action in ("halt", "rollback") else (reason or "").strip()
        if action == "rollback":
            from fleetgate.rollouts.services.rollback import begin_locked

            if intent.state not in (State.IN_PROGRESS, State.PAUSED, State.HALTED):
                raise InvalidTransition(
                    f"Intent is {intent.state}; nothing to roll back.", state=intent.state, action=action
                )
            begin_locked(rollout, intent, actor, text)
            return rollout
        verb = {"pause": Action.PAUSE, "resume": Action.RESUME, "halt": Action.HALT}[action]
        past = {"pause": "paused", "resume": "resumed", "halt": "halted"}[action]
        intents.transition(actor=actor, intent=intent, action=verb, event=f"intent.{past}", reason=text)
        status = {"pause": S.PAUSED, "resume": S.RUNNING, "halt": S.HALTED}[action]
        set_status(rollout, status, text or past)
        if action == "resume":
            _reopen_failed_ring(rollout)
        event(actor=actor, rollout=rollout, action=f"rollout.{past}", after={"ring": rollout.current_ring}, reason=text)
    return rollout


def _reopen_failed_ring(rollout: Rollout) -> None:
    """Resuming a halted rollout re-observes its current ring (the gates decide again)."""
    RingRun.objects.filter(rollout=rollout, ring=rollout.current_ring, state=RingState.FAILED).update(
        state=RingState.ASSIGNED
    )


def _promote(actor: Actor, intent: DeploymentIntent, rollout: Rollout, reason: str) -> Rollout:
    """Promote now: only a ring awaiting judgment, by an authorised person who is not conflicted."""
    from fleetgate.rollouts.services.rings import promote_locked

    if intent.state != State.IN_PROGRESS:
        raise InvalidTransition(
            f"Intent is {intent.state}; only a running rollout is promoted.", state=intent.state, action="promote"
        )
    run = locked(RingRun, RingRun.objects.get(rollout=rollout, ring=rollout.current_ring).pk, "ring")
    if run.state != RingState.AWAITING_JUDGMENT:
        holding = GateResult.objects.filter(ring_run=run).exclude(outcome__in=["pass", "not_applicable"])
        raise GateNotMet(
            f"{run.ring} is not awaiting judgment; the engine promotes it when every gate passes. "
            "Holding: " + (", ".join(f"{g.gate} ({g.outcome}: {g.summary})" for g in holding) or "observation pending"),
            gates=[{"gate": g.gate, "outcome": g.outcome, "summary": g.summary} for g in holding],
        )
    _check_only_the_rate_holds(rollout, run)
    text = _reason(reason, "promote")
    _check_judge(actor, intent)
    gates = {
        g.gate: {"outcome": g.outcome, "summary": g.summary, "inputs": g.inputs}
        for g in GateResult.objects.filter(ring_run=run)
    }
    judgment = {"judged_by": actor.ledger_view(), "reason": text, "gates": gates}
    promote_locked(rollout, intent, run, actor, clocks.current(), reason=text, judgment=judgment)
    return rollout


def _check_only_the_rate_holds(rollout: Rollout, run: RingRun) -> None:
    """A judgment accepts an inconclusive success rate, nothing else: a gate that holds since (a freeze,
    an expired approval) holds the promotion too, and so does a pack re-sealed since (awaiting CAB)."""
    holding = GateResult.objects.filter(ring_run=run).exclude(outcome__in=["pass", "not_applicable"])
    others = [{"gate": g.gate, "outcome": g.outcome, "summary": g.summary} for g in holding if g.gate != "success_rate"]
    problems = facts.pack_problems(rollout)
    if problems and not any(g["gate"] == "evidence_pack_valid" for g in others):
        others.append({"gate": "evidence_pack_valid", "outcome": "blocked", "summary": "; ".join(problems)})
    if others:
        raise GateNotMet(
            f"{run.ring} awaits judgment on its success rate, but other gates hold: "
            + ", ".join(f"{g['gate']} ({g['outcome']}: {g['summary']})" for g in others),
            gates=others,
        )


def _submitter(intent: DeploymentIntent) -> int | None:
    """Who submitted the change, as the ledger recorded it (any Publisher in scope may submit)."""
    row = for_subject("intent", intent.pk).filter(action="intent.submitted").order_by("-sequence").first()
    return int(row.actor_id) if row is not None and row.actor_kind == "user" else None


def _check_judge(actor: Actor, intent: DeploymentIntent) -> None:
    """Ring policy 1.1: never the packager, publisher or submitter; a CAB Approver when CAB was needed."""
    assessment = risk.latest(intent.pk)
    why = ""
    if actor.kind != "user":
        why = "only a person judges an inconclusive ring"
    elif assessment is not None and assessment.cab_required and not actor.has_role(Role.CAB_APPROVER):
        why = "this change needed CAB, so a CAB Approver judges it"
    else:
        request = CabRequest.objects.filter(intent=intent).order_by("-created_at").first()
        if request is not None:
            conflicts = approvals.conflicts_of_interest(request, intent)
        else:
            pack = EvidencePack.objects.filter(intent=intent).order_by("-version").first()
            conflicts = {intent.publisher_id: "you are the intent's publisher"}
            if pack is not None:
                conflicts |= approvals.pack_authors(pack, assessment)
        submitter = _submitter(intent)
        if submitter is not None:
            conflicts.setdefault(submitter, "you submitted this change")
        if actor.user_pk in conflicts:
            why = conflicts[actor.user_pk]
    if why:  # recorded by `recording_refusals` once the transaction has rolled back
        raise Refused(
            f"You may not judge this ring: {why}.",
            rule="judge-not-conflicted",
            subject_type="intent",
            subject_id=intent.pk,
            attempted="rollout.promote",
        )


def ensure_started(intent: DeploymentIntent) -> Rollout:
    rollout = Rollout.objects.filter(intent=intent).first()
    if rollout is None:
        raise Conflict(f"Intent {intent.name} has no rollout yet.")
    return rollout
