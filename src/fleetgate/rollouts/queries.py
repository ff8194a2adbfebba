"""Scoped reads of rollouts, incidents, calendars and jobs."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from fleetgate.core.actors import Actor
from fleetgate.core.scoping import INTENT, OWN, WINDOW, by_intent_id, scoped
from fleetgate.intents.models import DeploymentIntent
from fleetgate.rollouts import calendar
from fleetgate.rollouts.models import ChangeFreeze, Incident, MaintenanceWindow, PlaneTarget, RingRun, Rollout
from fleetgate.worker.models import JobRun


def rollouts(actor: Actor | None = None) -> QuerySet[Rollout]:
    qs = Rollout.objects.select_related("intent", "intent__application", "intent__version").order_by("-started_at")
    return scoped(actor, qs, INTENT.via("intent"))


def of_intent(intent_id: Any) -> Rollout | None:
    return rollouts().filter(intent_id=intent_id).first()


def ring_runs(rollout: Rollout) -> QuerySet[RingRun]:
    return RingRun.objects.filter(rollout=rollout).prefetch_related("targets__connector", "targets__artifact", "gates")


def targets(run: RingRun) -> QuerySet[PlaneTarget]:
    return PlaneTarget.objects.filter(ring_run=run).select_related("connector", "artifact")


def incidents(actor: Actor | None = None) -> QuerySet[Incident]:
    """Read in the scope the incident was opened in."""
    return scoped(actor, Incident.objects.select_related("intent", "artifact").order_by("-opened_at"), OWN)


def open_incidents(intent: DeploymentIntent) -> QuerySet[Incident]:
    artifacts = intent.evidence_packs.values_list("artifact_id", flat=True)
    return (
        Incident.objects.filter(state=Incident.State.OPEN)
        .filter(Q(intent=intent) | Q(artifact_id__in=artifacts))
        .order_by("priority", "opened_at")
    )


def windows(actor: Actor | None = None) -> QuerySet[MaintenanceWindow]:
    return scoped(actor, MaintenanceWindow.objects.order_by("boundary", "name"), *WINDOW)


def calendar_rules(boundary: str, business_unit: str, site_classes: list[str]) -> list[calendar.Rule]:
    rows = MaintenanceWindow.objects.filter(active=True, boundary=boundary).filter(
        Q(business_unit="") | Q(business_unit=business_unit)
    )
    return [
        calendar.Rule(w.name, w.kind, w.timezone, w.starts_local, w.duration_minutes, w.rrule)
        for w in rows
        if not w.site_class or w.site_class in site_classes
    ]


def active_freeze() -> ChangeFreeze | None:
    return ChangeFreeze.objects.filter(ended_at__isnull=True).order_by("-started_at").first()


def freeze_reason() -> str | None:
    freeze = active_freeze()
    return freeze.reason if freeze else None


def freezes() -> QuerySet[ChangeFreeze]:
    return ChangeFreeze.objects.select_related("started_by", "ended_by").order_by("-started_at")


def jobs(actor: Actor | None = None) -> QuerySet[JobRun]:
    """Jobs for one intent are read in that intent's scope; jobs for no intent (sweeps) by all, except a
    reconciliation pass of everything, read as `reconcile.queries.passes` reads it (who asked, and
    those who read everything): its report names every scope's intents."""
    mine = Q(requested_by__id=actor.id) if actor is not None else Q()
    return by_intent_id(actor, JobRun.objects.order_by("-id"), no_intent=~Q(action="reconcile") | mine)


def due_for_tick() -> QuerySet[Rollout]:
    return Rollout.objects.filter(
        status__in=[
            Rollout.Status.RUNNING,
            Rollout.Status.AWAITING_JUDGMENT,
            Rollout.Status.BLOCKED,
            Rollout.Status.ROLLING_BACK,
        ]
    )
