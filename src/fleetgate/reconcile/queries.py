"""Scoped reads of drift: a person sees the drift of the scopes their grants cover (auditors all)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from fleetgate.core.actors import Actor
from fleetgate.core.roles import ANY, Role
from fleetgate.reconcile.models import Drift
from fleetgate.worker.models import JobRun


def drift() -> QuerySet[Drift]:
    return Drift.objects.select_related("intent", "connector").order_by("-last_seen", "id")


def visible(actor: Actor, rows: QuerySet[Drift] | None = None) -> QuerySet[Drift]:
    rows = drift() if rows is None else rows
    if actor.kind != "user":
        return rows
    if any(g.role == Role.AUDITOR for g in actor.grants):
        return rows
    where = Q(pk__in=[])
    for grant in actor.grants:
        scope = Q() if grant.scope.boundary == ANY else Q(boundary=grant.scope.boundary)
        if ANY not in grant.scope.business_units:
            scope &= Q(business_unit__in=sorted(grant.scope.business_units))
        where |= scope
    return rows.filter(where)


def counts(rows: QuerySet[Drift]) -> dict[str, Any]:
    """Counts per kind and per status (the Drift page's header)."""
    by_kind = {r["kind"]: r["n"] for r in rows.values("kind").annotate(n=Count("id")).order_by()}
    by_status = {r["status"]: r["n"] for r in rows.values("status").annotate(n=Count("id")).order_by()}
    return {"by_kind": by_kind, "by_status": by_status, "total": sum(by_kind.values())}


def passes() -> QuerySet[JobRun]:
    return JobRun.objects.filter(action="reconcile").order_by("-id")
