"""Scoped reads of drift: a person sees the drift of the scopes their grants cover (auditors all)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from fleetgate.core.actors import Actor
from fleetgate.core.scoping import OWN, by_intent_id, scoped
from fleetgate.reconcile.models import Drift
from fleetgate.worker.models import JobRun


def drift() -> QuerySet[Drift]:
    return Drift.objects.select_related("intent", "connector").order_by("-last_seen", "id")


def visible(actor: Actor | None, rows: QuerySet[Drift] | None = None) -> QuerySet[Drift]:
    """Drift in the scope it was found in (core.scoping: Auditor and Platform Admin read all)."""
    return scoped(actor, drift() if rows is None else rows, OWN)


def counts(rows: QuerySet[Drift]) -> dict[str, Any]:
    """Counts per kind and per status (the Drift page's header)."""
    by_kind = {r["kind"]: r["n"] for r in rows.values("kind").annotate(n=Count("id")).order_by()}
    by_status = {r["status"]: r["n"] for r in rows.values("status").annotate(n=Count("id")).order_by()}
    return {"by_kind": by_kind, "by_status": by_status, "total": sum(by_kind.values())}


def passes(actor: Actor | None = None) -> QuerySet[JobRun]:
    """Passes of one intent in that intent's scope; a pass of everything (its report names every scope's
    intents) by those who read everything and by whoever asked for it."""
    qs = JobRun.objects.filter(action="reconcile").order_by("-id")
    return by_intent_id(actor, qs, no_intent=Q(requested_by__id=actor.id) if actor is not None else None)
