"""What a signed-in person sees first: counts by state, what waits for them, the latest events."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F

from fleetgate.audit.models import LedgerEvent
from fleetgate.core.actors import Actor
from fleetgate.core.roles import Role
from fleetgate.core.scoping import INTENT, scoped, scoped_subjects
from fleetgate.intents.models import DeploymentIntent
from fleetgate.intents.states import State

RECENT_EVENTS = 10
AWAITING_LIMIT = 20


def summary(actor: Actor) -> dict[str, Any]:
    mine = scoped(actor, DeploymentIntent.objects.all(), INTENT)
    by_state = dict(mine.values_list("state").annotate(n=Count("id")).order_by())
    return {
        "intents_by_state": {s.value: by_state.get(s.value, 0) for s in State},
        "in_progress": [_brief(i) for i in _intents(actor).filter(state=State.IN_PROGRESS)[:AWAITING_LIMIT]],
        "awaiting_my_action": awaiting(actor),
        "recent_events": list(
            scoped_subjects(actor, LedgerEvent.objects.all())
            .order_by("-sequence")
            .values("sequence", "occurred_at", "actor_name", "action", "subject_type", "subject_id")[:RECENT_EVENTS]
        ),
    }


def awaiting(actor: Actor) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if actor.has_role(Role.PUBLISHER):
        drafts = _intents(actor).filter(state=State.DRAFT, publisher_id=actor.user_pk)
        items += [{**_brief(i), "action": "submit"} for i in drafts[:AWAITING_LIMIT]]
    if actor.has_role(Role.CAB_APPROVER):
        pending = _intents(actor).filter(state=State.AWAITING_CAB)
        items += [{**_brief(i), "action": "review"} for i in pending[:AWAITING_LIMIT]]
    return items


def _intents(actor: Actor) -> Any:
    # the brief's columns only, as dicts: not three model instances a row with their JSON documents
    qs = DeploymentIntent.objects.order_by("-updated_at").values(
        "id",
        "name",
        "title",
        "state",
        "ring_plan",
        application_name=F("application__name"),
        version_name=F("version__version"),
    )
    return scoped(actor, qs, INTENT)


def _brief(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "name": row["name"],
        "title": row["title"],
        "application_name": row["application_name"],
        "version": row["version_name"],
        "state": row["state"],
        "rings": [step["ring"] for step in row["ring_plan"]],
    }
