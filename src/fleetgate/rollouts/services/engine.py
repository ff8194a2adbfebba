"""The rollout engine: start an approved intent, then advance it, level-triggered.

`advance` reads recorded state and the latest observations and takes the next step; it is safe
to call any number of times, concurrently, from any worker. A lease on the rollout row (not a row
lock, which must never be held across a plane call) lets one caller act at a time; a crashed
worker's lease expires and the next caller resumes with the same idempotency keys, which the
connectors' durable store turns into "reuse the result" instead of "act twice".
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Q

from fleetgate.catalog.models import Artifact
from fleetgate.config import settings as cfg
from fleetgate.connectors import services as connectors
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import NoRoute
from fleetgate.core.lookups import locked
from fleetgate.intents import services as intents
from fleetgate.intents.models import DeploymentIntent
from fleetgate.intents.states import Action, State
from fleetgate.rollouts import clock as clocks
from fleetgate.rollouts import routing
from fleetgate.rollouts.models import PlaneTarget, RingRun, Rollout
from fleetgate.rollouts.services import incidents_response, rings, rollback
from fleetgate.rollouts.services.common import ENGINE, event

LEASE = timedelta(seconds=cfg.rollout_lease_seconds)  # FLEETGATE_ROLLOUT_LEASE_SECONDS, default 5 min
MAX_STEPS = 16  # steps one advance takes before yielding (each is cheap; plane calls dominate)


def start(*, actor: Actor, intent_id: UUID | str, expected_etag: str | None = None) -> Rollout:
    with transaction.atomic():
        intent = locked(DeploymentIntent, intent_id, "intent")
        permissions.require(actor, "rollout.start", intent)
        intents.check_etag(intent, expected_etag)
        routes = routing.routes(intent)
        _check_rollback_artifacts(intent, routes)
        intents.transition(actor=actor, intent=intent, action=Action.START, event="intent.started")
        rollout = Rollout.objects.create(
            intent=intent,
            current_ring=intent.rings[0],
            pack_versions={str(r.artifact.pk): r.pack.version for r in routes},
            started_by=actor.ledger_view(),
        )
        for position, step in enumerate(intent.ring_plan):
            run = RingRun.objects.create(rollout=rollout, ring=step["ring"], position=position)
            for route in routes:
                PlaneTarget.objects.create(
                    ring_run=run,
                    connector=route.connector,
                    artifact=route.artifact,
                    group=routing.group_for(step, route.connector),
                    planned_devices=int(step["device_count"]),
                )
        event(
            actor=actor,
            rollout=rollout,
            action="rollout.started",
            after={
                "rings": intent.rings,
                "planes": [
                    {"connector": r.connector.name, "platform": r.artifact.platform, "pack_version": r.pack.version}
                    for r in routes
                ],
            },
        )
        _schedule(intent.pk)
    return rollout


def _check_rollback_artifacts(intent: DeploymentIntent, routes: list[routing.Route]) -> None:
    """A rollback must be possible before anything is deployed: the previous version's artifacts exist."""
    if intent.rollback_plan.get("strategy") == "uninstall":
        return
    version = str(intent.rollback_plan.get("rollback_version", ""))
    missing = [r.artifact.platform for r in routes if not previous_artifact(intent, r.artifact.platform)]
    if missing:
        raise NoRoute(
            f"The rollback plan reinstalls {intent.application.name} {version}, which has no "
            f"{', '.join(sorted(set(missing)))} artifact in the catalog; register it before starting.",
            problems=[f"no {p} artifact of {version}" for p in missing],
        )


def previous_artifact(intent: DeploymentIntent, platform: str) -> Artifact | None:
    version = str(intent.rollback_plan.get("rollback_version", ""))
    return (
        Artifact.objects.filter(version__application=intent.application, version__version=version, platform=platform)
        .select_related("version__application")
        .order_by("created_at")
        .first()
    )


def advance(*, intent_id: UUID | str, actor: Actor = ENGINE, clock: clocks.Clock | None = None) -> Rollout | None:
    """Take every step the recorded state allows now; return the rollout as it then stands."""
    clock = clock or clocks.current()
    rollout = Rollout.objects.filter(intent__pk=intent_id).first()
    if rollout is None:
        return None
    permissions.require(actor, "rollout.advance", rollout.intent)
    owner = uuid.uuid4().hex
    if not _acquire(rollout.pk, owner, clock):
        return rollout  # someone else is advancing it right now
    try:
        for _ in range(MAX_STEPS):
            current = Rollout.objects.select_related("intent", "intent__ring_policy", "intent__application").get(
                pk=rollout.pk
            )
            if not _step(current, actor, clock):
                break
    finally:
        Rollout.objects.filter(pk=rollout.pk, lease_owner=owner).update(lease_owner="", lease_expires_at=None)
    return Rollout.objects.get(pk=rollout.pk)


def _acquire(rollout_id: Any, owner: str, clock: clocks.Clock) -> bool:
    now = clock.now()
    free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    return (
        Rollout.objects.filter(pk=rollout_id).filter(free).update(lease_owner=owner, lease_expires_at=now + LEASE) == 1
    )


def _step(rollout: Rollout, actor: Actor, clock: clocks.Clock) -> bool:
    """One step; True when another may follow at once."""
    state = rollout.intent.state
    if state in (State.IN_PROGRESS, State.PAUSED, State.HALTED) and incidents_response.respond(rollout, actor):
        return True
    if state == State.IN_PROGRESS:
        return rings.step(rollout, actor, clock)
    if state == State.ROLLING_BACK:
        return rollback.step(rollout, actor, clock)
    return False


def tick(*, clock: clocks.Clock | None = None, actor: Actor = ENGINE) -> dict[str, int]:
    """The periodic pass: start approved intents whose first ring's not_before has come, advance the rest."""
    clock = clock or clocks.current()
    started = 0
    for intent in DeploymentIntent.objects.filter(state=State.APPROVED, rollout__isnull=True):
        not_before = intent.ring_plan[0].get("not_before") if intent.ring_plan else None
        if not_before and rings.parse_time(not_before) <= clock.now():
            try:
                started += start_due(actor=actor, intent_id=intent.pk)
            except NoRoute:
                continue  # the intent's page says why; a Platform Admin fixes the connectors
    advanced = 0
    with connectors.session():  # one client per connector instance for the whole tick
        for rollout in Rollout.objects.filter(
            intent__state__in=[State.IN_PROGRESS, State.ROLLING_BACK, State.PAUSED, State.HALTED]
        ):
            advance(intent_id=rollout.intent_id, actor=actor, clock=clock)
            advanced += 1
    return {"started": started, "advanced": advanced}


def start_due(*, actor: Actor, intent_id: UUID | str) -> bool:
    """Start an intent whose time has come, unless another worker's tick (or a person) started it since
    this tick listed it: ticks run concurrently, and the second must skip it rather than fail the tick."""
    with transaction.atomic():
        intent = locked(DeploymentIntent, intent_id, "intent")
        permissions.require(actor, "rollout.start", intent)
        if intent.state != State.APPROVED or Rollout.objects.filter(intent=intent).exists():
            return False
        start(actor=actor, intent_id=intent_id)
    return True


def _schedule(intent_id: Any) -> None:
    from fleetgate.rollouts import tasks

    transaction.on_commit(lambda: tasks.advance_rollout(str(intent_id)))
