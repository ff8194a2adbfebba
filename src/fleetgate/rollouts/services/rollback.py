"""Rollback: every ring reached, in reverse ring order, through each plane's own mechanism —
retire the new version's assignment, then reinstall the rollback version (reinstall_previous,
supersede) or assign an uninstall (uninstall). A rollback is itself observed and gated with the
ring's own statistic; a rollback that fails, or is not confirmed within time to compliance,
ends in `failed` with an alert, never silently."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from fleetgate.connectors import services as connectors
from fleetgate.core.actors import Actor
from fleetgate.core.errors import DomainError, PlaneUnavailable
from fleetgate.core.lookups import locked
from fleetgate.intents import services as intents
from fleetgate.intents.models import DeploymentIntent
from fleetgate.intents.states import Action
from fleetgate.rollouts import statistics
from fleetgate.rollouts.clock import Clock
from fleetgate.rollouts.models import PlaneTarget, RingRun, Rollout
from fleetgate.rollouts.services.common import app_ref, event, intent_ref, key, plane_artifact, ring_group, set_status
from fleetgate.rollouts.states import Outcome, RingState

S = Rollout.Status
TO_ROLL_BACK = (
    RingState.ASSIGNED,
    RingState.AWAITING_JUDGMENT,
    RingState.PASSED,
    RingState.FAILED,
    RingState.ROLLING_BACK,
)


def begin_locked(rollout: Rollout, intent: DeploymentIntent, actor: Actor, reason: str) -> None:
    """Move a locked intent to rolling_back (from in_progress, paused or halted)."""
    intents.transition(actor=actor, intent=intent, action=Action.ROLLBACK, event="intent.rolling_back", reason=reason)
    Rollout.objects.filter(pk=rollout.pk).update(rollback_reason=reason[:2000])
    set_status(rollout, S.ROLLING_BACK, reason)
    reached = [r.ring for r in _reached(rollout)]
    event(
        actor=actor,
        rollout=rollout,
        action="rollout.rollback_started",
        after={"rings": reached},
        reason=reason,
        severity="warning",
    )


def _reached(rollout: Rollout) -> list[RingRun]:
    """Every ring reached, newest first: entered, or partly entered (a plane already has the
    assignment while another was unavailable, so the ring is still pending)."""
    partly = Q(state=RingState.PENDING, targets__assignment_id__gt="")
    runs = RingRun.objects.filter(Q(rollout=rollout) & (Q(state__in=TO_ROLL_BACK) | partly))
    return list(runs.distinct().order_by("-position"))


def step(rollout: Rollout, actor: Actor, clock: Clock) -> bool:
    pending = _reached(rollout)
    if not pending:
        return _finish(rollout, actor, clock)
    run = pending[0]
    try:
        if run.state != RingState.ROLLING_BACK:
            return _start_ring(rollout, run, actor, clock)
        return _observe_ring(rollout, run, actor, clock)
    except PlaneUnavailable as exc:
        set_status(rollout, S.ROLLING_BACK, f"rolling back {run.ring}: {exc.detail} (retrying)")
        return False
    except DomainError as exc:
        _fail(rollout, run, actor, f"rollback of {run.ring} refused by the plane: {exc.detail}", clock)
        return False


def _start_ring(rollout: Rollout, run: RingRun, actor: Actor, clock: Clock) -> bool:
    from fleetgate.rollouts.services.engine import previous_artifact

    intent = rollout.intent
    strategy = intent.rollback_plan.get("strategy", "uninstall")
    for target in (
        PlaneTarget.objects.filter(ring_run=run)
        .exclude(assignment_id="")
        .select_related("connector", "artifact__version__application")
    ):  # a plane that never got the assignment has nothing to undo
        group = ring_group(target, run)
        if target.app_ref:
            connectors.retire(
                actor=actor,
                connector_id=target.connector_id,
                app=app_ref(target.app_ref),
                group=group,
                key=key(rollout, target, "retire", run.ring),
            )
        if strategy == "uninstall":
            if not target.app_ref:
                continue
            rollback_app = app_ref(target.app_ref)
            action = "uninstall"
        else:
            previous = previous_artifact(intent, target.artifact.platform)
            if previous is None:
                raise DomainError(f"no {target.artifact.platform} artifact of the rollback version in the catalog")
            rollback_app = connectors.publish(
                actor=actor,
                connector_id=target.connector_id,
                artifact=plane_artifact(target, previous),
                key=key(rollout, target, "publish-rollback"),
            )
            action = "install"
        assigned = connectors.assign(
            actor=actor,
            connector_id=target.connector_id,
            app=rollback_app,
            group=group,
            intent=intent_ref(intent, run.ring, action),
            key=key(rollout, target, f"assign-rollback-{action}", run.ring),
        )
        PlaneTarget.objects.filter(pk=target.pk).update(
            rollback_app_ref=rollback_app.__dict__
            | {"attributes": dict(rollback_app.attributes), "action": action, "assignment_id": assigned.external_id},
            rollback_assigned_at=clock.now(),
        )
    with transaction.atomic():
        run = locked(RingRun, run.pk, "ring")
        run.state, run.rollback_started_at = RingState.ROLLING_BACK, clock.now()
        run.save(update_fields=["state", "rollback_started_at"])
        event(
            actor=actor,
            rollout=rollout,
            action="rollout.ring_rollback_assigned",
            after={"ring": run.ring, "strategy": strategy},
        )
    set_status(rollout, S.ROLLING_BACK, f"rolling back {run.ring}: assigned {strategy}")
    return True


def _observe_ring(rollout: Rollout, run: RingRun, actor: Actor, clock: Clock) -> bool:
    from fleetgate.rollouts.services.rings import store_observation

    successes = failures = 0
    for target in PlaneTarget.objects.filter(ring_run=run).select_related("connector"):
        if not target.rollback_app_ref:
            continue
        ref = {k: v for k, v in target.rollback_app_ref.items() if k not in ("action", "assignment_id")}
        group = ring_group(target, run, str(target.rollback_app_ref.get("assignment_id") or ""))
        result = connectors.observe(actor=actor, connector_id=target.connector_id, app=app_ref(ref), group=group)
        store_observation(target, result, clock, rollback=True)
        done = result.not_installed if result.action == "uninstall" else result.installed  # uninstall: absent
        successes, failures = successes + done, failures + result.failed
    ring_policy = rollout.intent.ring_policy.ring(run.ring)
    stat = statistics.evaluate(successes, failures, ring_policy["gate"], float(ring_policy["success_threshold"]))
    inputs = stat.as_dict()
    if stat.outcome == Outcome.PASS:
        with transaction.atomic():
            run = locked(RingRun, run.pk, "ring")
            run.state, run.rollback_finished_at = RingState.ROLLED_BACK, clock.now()
            run.save(update_fields=["state", "rollback_finished_at"])
            event(
                actor=actor,
                rollout=rollout,
                action="rollout.ring_rolled_back",
                after={"ring": run.ring, "observed": inputs},
            )
        return True
    deadline = max(float(h) for h in ring_policy["ttc_hours"].values())
    waited = clock.elapsed(run.rollback_started_at).total_seconds() / 3600
    if stat.outcome == Outcome.FAIL:
        _fail(rollout, run, actor, f"rollback of {run.ring} failed: {stat.why}", clock)
    elif waited >= deadline:
        _fail(rollout, run, actor, f"rollback of {run.ring} not confirmed within {deadline:g} h: {stat.why}", clock)
    else:
        set_status(rollout, S.ROLLING_BACK, f"rolling back {run.ring}: {stat.why}")
    return False


def _fail(rollout: Rollout, run: RingRun, actor: Actor, reason: str, clock: Clock) -> None:
    with transaction.atomic():
        intent = locked(DeploymentIntent, rollout.intent_id, "intent")
        RingRun.objects.filter(pk=run.pk).update(state=RingState.ROLLBACK_FAILED)
        intents.transition(actor=actor, intent=intent, action=Action.FAIL, event="intent.failed", reason=reason)
        Rollout.objects.filter(pk=rollout.pk).update(finished_at=clock.now())
        set_status(rollout, S.FAILED, reason)
        event(
            actor=actor,
            rollout=rollout,
            action="rollout.failed",
            after={"ring": run.ring},
            reason=reason,
            severity="critical",
        )


def _finish(rollout: Rollout, actor: Actor, clock: Clock) -> bool:
    with transaction.atomic():
        intent = locked(DeploymentIntent, rollout.intent_id, "intent")
        intents.transition(actor=actor, intent=intent, action=Action.ROLLBACK_DONE, event="intent.rolled_back")
        Rollout.objects.filter(pk=rollout.pk).update(finished_at=clock.now())
        set_status(rollout, S.ROLLED_BACK, "every ring reached is rolled back")
        rings = list(
            RingRun.objects.filter(rollout=rollout, state=RingState.ROLLED_BACK).values_list("ring", flat=True)
        )
        event(
            actor=actor,
            rollout=rollout,
            action="rollout.rolled_back",
            after={"rings": rings},
            reason=rollout.rollback_reason,
        )
    return False
