"""The engine's steps inside one ring: enter it (publish and assign on every plane), observe it,
evaluate its gates, and act on the verdict (promote, hold, ask for judgment, halt and roll back)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction

from fleetgate.approvals import queries as approvals
from fleetgate.audit import services as audit
from fleetgate.connectors import services as connectors
from fleetgate.connectors.base import ObserveResult
from fleetgate.core.actors import Actor
from fleetgate.core.errors import DomainError, PlaneUnavailable
from fleetgate.core.lookups import locked
from fleetgate.intents import services as intents
from fleetgate.intents.models import DeploymentIntent
from fleetgate.intents.states import Action
from fleetgate.rollouts import facts, gates
from fleetgate.rollouts.clock import Clock
from fleetgate.rollouts.models import GateResult, PlaneTarget, RingRun, Rollout
from fleetgate.rollouts.services.common import app_ref, event, intent_ref, key, plane_artifact, ring_group, set_status
from fleetgate.rollouts.states import Outcome, RingState

S = Rollout.Status
DETAIL_DEVICES = 50  # devices kept per error code for the UI


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def step(rollout: Rollout, actor: Actor, clock: Clock) -> bool:
    run = RingRun.objects.get(rollout=rollout, ring=rollout.current_ring)
    if run.state == RingState.PENDING:
        return enter(rollout, run, actor, clock)
    if run.state in (RingState.ASSIGNED, RingState.AWAITING_JUDGMENT):
        return observe_and_decide(rollout, run, actor, clock)
    return False


def entry_problems(rollout: Rollout, run: RingRun, clock: Clock) -> list[str]:
    """Why the ring may not be entered now: change calendar, not_before, approvals and evidence."""
    intent = rollout.intent
    now = clock.now()
    problems: list[str] = []
    openness = facts.window_state(intent, now)
    if not openness.open:
        problems.append(openness.problem)
    not_before = intent.ring_plan[run.position].get("not_before")
    if not_before and parse_time(not_before) > now:
        problems.append(f"{run.ring} starts not before {not_before}")
    decision = approvals.promotion_allowed(intent, run.ring, now)
    problems.extend(r for r in decision.reasons if not r.startswith("break-glass"))
    problems.extend(facts.pack_problems(rollout))
    return problems


def enter(rollout: Rollout, run: RingRun, actor: Actor, clock: Clock) -> bool:
    problems = entry_problems(rollout, run, clock)
    if facts.pack_reapprovals(rollout)["rejected"]:  # CAB refused a re-sealed pack: halt_on gate fail
        halt(rollout, actor, f"{run.ring}: " + "; ".join(facts.pack_problems(rollout)), rollback=True)
        return True
    if problems:
        set_status(rollout, S.BLOCKED, f"{run.ring} waits: " + "; ".join(problems))
        return False
    intent = rollout.intent
    try:
        for target in PlaneTarget.objects.filter(ring_run=run).select_related(
            "connector", "artifact__version__application"
        ):
            _publish_and_assign(rollout, run, target, intent, actor)
    except PlaneUnavailable as exc:
        set_status(rollout, S.RUNNING, f"{run.ring}: {exc.detail} (retrying)")
        return False
    except DomainError as exc:  # the plane refused for good: a person must look
        halt(rollout, actor, f"{run.ring}: {exc.detail}", rollback=False)
        return False
    with transaction.atomic():
        run = locked(RingRun, run.pk, "ring")
        run.state, run.assigned_at = RingState.ASSIGNED, clock.now()
        run.save(update_fields=["state", "assigned_at"])
        set_status(rollout, S.RUNNING, f"{run.ring}: assigned, observing")
        event(
            actor=actor,
            rollout=rollout,
            action="rollout.ring_assigned",
            after={"ring": run.ring, "targets": _describe(run)},
        )
    return True


def _publish_and_assign(
    rollout: Rollout, run: RingRun, target: PlaneTarget, intent: DeploymentIntent, actor: Actor
) -> None:
    if target.observed_devices is None:
        target.observed_devices = connectors.group_size(
            actor=actor, connector_id=target.connector_id, group=ring_group(target, run)
        )
        PlaneTarget.objects.filter(pk=target.pk).update(observed_devices=target.observed_devices)
    if not target.app_ref:
        app = connectors.publish(
            actor=actor,
            connector_id=target.connector_id,
            artifact=plane_artifact(target),
            key=key(rollout, target, "publish"),
        )
        target.app_ref = app.__dict__ | {"attributes": dict(app.attributes)}
        PlaneTarget.objects.filter(pk=target.pk).update(app_ref=target.app_ref)
    if not target.assignment_id:
        result = connectors.assign(
            actor=actor,
            connector_id=target.connector_id,
            app=app_ref(target.app_ref),
            group=ring_group(target, run),
            intent=intent_ref(intent, run.ring),
            key=key(rollout, target, "assign", run.ring),
        )
        target.assignment_id = result.external_id or "assigned"
        PlaneTarget.objects.filter(pk=target.pk).update(assignment_id=target.assignment_id)


def _describe(run: RingRun) -> list[dict[str, object]]:
    return [
        {
            "connector": t.connector.name,
            "platform": t.artifact.platform,
            "group": t.group,
            "app": t.app_ref.get("external_id"),
        }
        for t in PlaneTarget.objects.filter(ring_run=run).select_related("connector", "artifact")
    ]


def observe(run: RingRun, actor: Actor, clock: Clock) -> None:
    """Read each plane's install status into its target (operational data, no ledger event)."""
    for target in PlaneTarget.objects.filter(ring_run=run).select_related("connector"):
        result = connectors.observe(
            actor=actor, connector_id=target.connector_id, app=app_ref(target.app_ref), group=ring_group(target, run)
        )
        store_observation(target, result, clock)


def store_observation(target: PlaneTarget, result: ObserveResult, clock: Clock, *, rollback: bool = False) -> None:
    counts = {
        "installed": result.installed,
        "failed": result.failed,
        "pending": result.pending,
        "not_applicable": result.not_applicable,
        "not_installed": result.not_installed,
        "total": result.total,
    }
    if rollback:
        PlaneTarget.objects.filter(pk=target.pk).update(rollback_counts=counts)
        return
    codes: dict[str, dict[str, object]] = {}
    pending_sites: dict[str, int] = {}
    for page in result.detail_pages:
        for device in page.devices:
            site = getattr(device, "site_class", "") or ""
            if device.state == "failed":
                entry = codes.setdefault(device.detail or "unknown", {"count": 0, "devices": []})
                entry["count"] = int(entry["count"]) + 1  # type: ignore[call-overload]
                devices = entry["devices"]
                if isinstance(devices, list) and len(devices) < DETAIL_DEVICES:
                    devices.append({"id": device.device_id, "name": device.device_name})
            elif device.state == "pending" and site:
                pending_sites[site] = pending_sites.get(site, 0) + 1
    target.counts, target.error_codes, target.site_classes = counts, codes, pending_sites
    target.observed_at = clock.now()
    PlaneTarget.objects.filter(pk=target.pk).update(
        counts=counts, error_codes=codes, site_classes=pending_sites, observed_at=target.observed_at
    )


def observe_and_decide(rollout: Rollout, run: RingRun, actor: Actor, clock: Clock) -> bool:
    try:
        observe(run, actor, clock)
    except PlaneUnavailable as exc:
        set_status(rollout, rollout.status, f"{run.ring}: {exc.detail} (retrying)")
        return False
    checks = gates.evaluate(facts.ring_facts(rollout, run, clock))
    verdict = gates.verdict(checks)
    with transaction.atomic():
        intent = locked(DeploymentIntent, rollout.intent_id, "intent")
        run = locked(RingRun, run.pk, "ring")
        record_gates(rollout, run, checks, actor, clock)
        if verdict.step == "halt":
            run.state, run.decided_at = RingState.FAILED, clock.now()
            run.save(update_fields=["state", "decided_at"])
            _halt_locked(rollout, intent, actor, f"{run.ring}: {verdict.reason}", rollback=True)
            return True
        if verdict.step == "promote":
            return promote_locked(rollout, intent, run, actor, clock, reason=verdict.reason)
        if verdict.step == "judgment":
            if run.state != RingState.AWAITING_JUDGMENT:
                run.state = RingState.AWAITING_JUDGMENT
                run.save(update_fields=["state"])
                event(
                    actor=actor,
                    rollout=rollout,
                    action="rollout.awaiting_judgment",
                    after={"ring": run.ring},
                    reason=verdict.reason,
                )
            set_status(rollout, S.AWAITING_JUDGMENT, f"{run.ring}: {verdict.reason}")
            return False
        blocked = any(c.outcome == Outcome.BLOCKED for c in checks)
        if blocked or run.state != RingState.AWAITING_JUDGMENT:  # a ring awaiting judgment shows what blocks it
            set_status(rollout, S.BLOCKED if blocked else S.RUNNING, f"{run.ring}: {verdict.reason}")
    return False


def record_gates(rollout: Rollout, run: RingRun, checks: list[gates.GateCheck], actor: Actor, clock: Clock) -> None:
    """Keep the latest outcome per gate; a changed outcome is one `gate.evaluated` ledger event."""
    existing = {g.gate: g for g in GateResult.objects.filter(ring_run=run)}
    for check in checks:
        row = existing.get(check.gate)
        changed = row is None or row.outcome != check.outcome
        if row is None:
            row = GateResult(ring_run=run, gate=check.gate)
        row.outcome, row.summary, row.inputs, row.evaluated_at = check.outcome, check.summary, check.inputs, clock.now()
        row.save()
        if changed:
            audit.record(
                actor=actor,
                action="gate.evaluated",
                subject_type="intent",
                subject_id=rollout.intent_id,
                after={
                    "rollout": str(rollout.pk),
                    "ring": run.ring,
                    "gate": check.gate,
                    "outcome": check.outcome,
                    "summary": check.summary,
                    "inputs": check.inputs,
                },
            )


def promote_locked(
    rollout: Rollout,
    intent: DeploymentIntent,
    run: RingRun,
    actor: Actor,
    clock: Clock,
    *,
    reason: str,
    judgment: dict | None = None,
) -> bool:
    """Close `run` as passed and move to the next ring, or complete. Caller holds the locks."""
    run.state, run.decided_at = RingState.PASSED, clock.now()
    if judgment:
        run.judgment = judgment
    run.save(update_fields=["state", "decided_at", "judgment"])
    plan = intent.rings
    position = plan.index(run.ring)
    if position + 1 < len(plan):
        following = plan[position + 1]
        Rollout.objects.filter(pk=rollout.pk).update(current_ring=following)
        rollout.current_ring = following
        set_status(rollout, S.RUNNING, f"{following}: entering")
        event(
            actor=actor,
            rollout=rollout,
            action="rollout.promoted",
            after={"from": run.ring, "to": following, **(judgment or {})},
            reason=reason,
        )
        return True
    intents.transition(actor=actor, intent=intent, action=Action.COMPLETE, event="intent.completed", reason=reason)
    Rollout.objects.filter(pk=rollout.pk).update(finished_at=clock.now())
    set_status(rollout, S.COMPLETED, f"completed after {run.ring}")
    event(actor=actor, rollout=rollout, action="rollout.completed", after={"last_ring": run.ring}, reason=reason)
    return False


def halt(rollout: Rollout, actor: Actor, reason: str, *, rollback: bool) -> None:
    with transaction.atomic():
        intent = locked(DeploymentIntent, rollout.intent_id, "intent")
        _halt_locked(rollout, intent, actor, reason, rollback=rollback)


def _halt_locked(rollout: Rollout, intent: DeploymentIntent, actor: Actor, reason: str, *, rollback: bool) -> None:
    """Halt per ring policy `halt_on`; a failed gate also rolls back every ring reached."""
    intents.transition(actor=actor, intent=intent, action=Action.HALT, event="intent.halted", reason=reason)
    set_status(rollout, S.HALTED, reason)
    event(
        actor=actor,
        rollout=rollout,
        action="rollout.halted",
        after={"ring": rollout.current_ring},
        reason=reason,
        severity="warning",
    )
    if rollback:
        from fleetgate.rollouts.services.rollback import begin_locked

        begin_locked(rollout, intent, actor, reason)
