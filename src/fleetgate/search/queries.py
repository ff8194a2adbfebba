"""The global search as one scoped read per kind: applications, intents, CAB requests, SBOM components
(by name or package URL) and ledger events (by correlation id, exactly).

Each kind goes through its own domain's scoped queryset, so a person finds only what they may read, and
costs one query however many rows match: at most `limit + 1` rows are fetched (the extra one only says
that there is more), with whatever each hit shows joined in, never fetched per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from fleetgate.approvals import queries as approvals
from fleetgate.audit import queries as ledger
from fleetgate.catalog import queries as catalog
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.evidence import queries as evidence
from fleetgate.intents import queries as intents

LIMIT = 5
KINDS = ("applications", "intents", "cab_requests", "components", "ledger")
_NEEDS = {
    "applications": "application.view",
    "intents": "intent.view",
    "cab_requests": "cab.view",
    "components": "evidence.view",
    "ledger": "ledger.view",
}


@dataclass(frozen=True)
class Hit:
    id: str
    name: str
    detail: str


@dataclass(frozen=True)
class Group:
    kind: str
    hits: list[Hit]
    more: bool


def search(actor: Actor, text: str, limit: int = LIMIT) -> list[Group]:
    """Every kind the actor may read, in a fixed order; a kind they may not read is left out."""
    text = text.strip()
    finders = {
        "applications": _applications,
        "intents": _intents,
        "cab_requests": _cab_requests,
        "components": _components,
        "ledger": _ledger,
    }
    groups = []
    for kind in KINDS:
        if not permissions.can(actor, _NEEDS[kind]):
            continue
        rows = finders[kind](actor, text, limit + 1)
        groups.append(Group(kind=kind, hits=rows[:limit], more=len(rows) > limit))
    return groups


def _applications(actor: Actor, text: str, n: int) -> list[Hit]:
    qs = catalog.applications(actor).filter(Q(name__icontains=text) | Q(vendor__icontains=text)).order_by("name")
    return [Hit(str(a.pk), a.name, a.vendor) for a in qs[:n]]


def _intents(actor: Actor, text: str, n: int) -> list[Hit]:
    qs = intents.intents(actor).filter(Q(name__icontains=text) | Q(title__icontains=text)).order_by("name")
    return [Hit(str(i.pk), i.name, f"{i.title} ({i.state})") for i in qs[:n]]


def _cab_requests(actor: Actor, text: str, n: int) -> list[Hit]:
    qs = (
        approvals.requests(actor)
        .prefetch_related(None)  # the decisions the listing shows are not needed for a hit
        .filter(Q(intent__name__icontains=text) | Q(intent__title__icontains=text))
        .order_by("-created_at", "-id")
    )
    return [Hit(str(r.pk), r.intent.name, f"CAB request, {r.state}: {r.intent.title}") for r in qs[:n]]


def _components(actor: Actor, text: str, n: int) -> list[Hit]:
    qs = evidence.components(actor).filter(Q(name__icontains=text) | Q(purl__icontains=text)).order_by("name", "id")
    return [Hit(str(c.pk), c.name, _component_detail(c)) for c in qs[:n]]


def _component_detail(component: Any) -> str:
    version = component.artifact.version
    return f"{component.version or 'no version'} in {version.application.name} {version.version}"


def _ledger(actor: Actor, text: str, n: int) -> list[Hit]:
    qs = ledger.events(actor).filter(correlation_id=text).order_by("sequence")
    return [Hit(str(e.sequence), e.action, f"#{e.sequence} by {e.actor_name} on {e.subject_type}") for e in qs[:n]]
