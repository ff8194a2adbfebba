"""When each intent is reconciled next: every `reconcile_interval_minutes_by_criticality` of its
application's criticality, plus a stable jitter; an event (`hurry`) brings it forward."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q

from fleetgate.intents.models import DeploymentIntent
from fleetgate.reconcile import policy
from fleetgate.reconcile.models import Schedule
from fleetgate.reconcile.services.desired import TRACKED
from fleetgate.reconcile.services.jobs import enqueue
from fleetgate.reconcile.services.passes import RECONCILER
from fleetgate.rollouts import clock as clocks

PER_TICK = 200  # jobs queued per tick at most; the rest are due at the next tick


def next_run(intent: DeploymentIntent, at: datetime) -> datetime:
    every = policy.interval(intent.ring_policy.document, intent.application.blast_radius_class)
    return at + every + policy.jitter(str(intent.pk), every)


def hurry(*, intent_id: Any) -> None:
    """An event (a rollout step, a plane webhook) asks for a pass at the next tick; an intent not
    scheduled yet is scheduled now. Operational state (like a job record): no ledger event."""
    if not Schedule.objects.filter(intent_id=intent_id).update(hurried=True):
        Schedule.objects.bulk_create(
            [Schedule(intent_id=intent_id, next_run_at=clocks.current().now(), hurried=True)], ignore_conflicts=True
        )
        Schedule.objects.filter(intent_id=intent_id).update(hurried=True)  # one created a moment ago


def tick() -> dict[str, int]:
    """Queue a pass for every tracked intent that is due; schedule intents seen for the first time."""
    now = clocks.current().now()
    tracked = DeploymentIntent.objects.filter(rollout__status__in=TRACKED).select_related("application", "ring_policy")
    known = set(Schedule.objects.values_list("intent_id", flat=True))
    new = [
        Schedule(
            intent=i,
            next_run_at=now
            + policy.jitter(str(i.pk), policy.interval(i.ring_policy.document, i.application.blast_radius_class)),
        )
        for i in tracked
        if i.pk not in known
    ]
    Schedule.objects.bulk_create(new, ignore_conflicts=True)
    queued = 0
    due = Schedule.objects.filter(Q(next_run_at__lte=now) | Q(hurried=True), intent__rollout__status__in=TRACKED)
    for row in due.select_related("intent__application", "intent__ring_policy").order_by("next_run_at")[:PER_TICK]:
        with transaction.atomic():
            locked = Schedule.objects.select_for_update().get(pk=row.pk)
            if locked.next_run_at > now and not locked.hurried:
                continue  # another scheduler took it
            locked.next_run_at, locked.last_run_at, locked.hurried = next_run(row.intent, now), now, False
            locked.save()
            enqueue(actor=RECONCILER, intent_id=row.intent_id, reason="scheduled")
            queued += 1
    return {"scheduled": len(new), "queued": queued}


def full_resync() -> int:
    """A pass over everything, regardless of schedules."""
    with transaction.atomic():
        return enqueue(actor=RECONCILER, reason="full resync").pk
