"""Reads of the assistant's own records: provider configurations, interactions, token use."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Any

from django.db.models import F, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from fleetgate.assistant.models import Feature, Interaction, ProviderConfig
from fleetgate.core import permissions
from fleetgate.core.actors import Actor


def providers(at: datetime | None = None) -> QuerySet[ProviderConfig]:
    """With each provider's tokens used today (`tokens_today`), summed in the same query."""
    used = (
        Interaction.objects.filter(provider=OuterRef("name"), created_at__gte=day_start(at))
        .values("provider")
        .annotate(n=Sum(F("tokens_in") + F("tokens_out")))
        .values("n")
    )
    return ProviderConfig.objects.annotate(tokens_today=Coalesce(Subquery(used), 0))


def active_provider() -> ProviderConfig | None:
    return ProviderConfig.objects.filter(active=True).first()


def interactions_visible_to(actor: Actor) -> QuerySet[Interaction]:
    """Auditors see every interaction; everybody else their own."""
    qs = Interaction.objects.all()
    if permissions.can(actor, "assistant.interaction.view"):
        return qs
    if actor.user_pk is None:
        return qs.none()
    return qs.filter(user_id=actor.user_pk)


def draft_issue(interaction_id: Any, *, intent_id: Any, user_pk: Any) -> tuple[str, str] | None:
    """Why `interaction_id` cannot be named as the draft of a CAB submission for `intent_id` by the user
    `user_pk` (rule, message), or None when it can: an answered draft-cab-note about that intent, theirs."""
    try:
        key = uuid.UUID(str(interaction_id))
    except ValueError:
        return "uuid", f"'{interaction_id}' is not an interaction id (a UUID)."
    row = Interaction.objects.filter(pk=key).first()
    if row is None:
        return "exists", "No assistant interaction has that id."
    if row.user_id is None or row.user_id != user_pk:
        return "same-user", "That draft was made by someone else; name one of your own drafts."
    if row.feature != Feature.DRAFT_CAB_NOTE or row.status != "ok":
        return "draft-cab-note", f"That interaction is a {row.feature} answer, not an answered CAB-note draft."
    if row.subject_type != "intent" or row.subject_id != str(intent_id):
        return "same-intent", "That draft is about another intent; draft the note for this one."
    return None


def day_start(at: datetime | None = None) -> datetime:
    now = at or timezone.now()
    return datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)


def tokens_used_today(provider: str, at: datetime | None = None) -> int:
    total: Any = (
        Interaction.objects.filter(provider=provider, created_at__gte=day_start(at))
        .aggregate(n=Sum(F("tokens_in") + F("tokens_out")))
        .get("n")
    )
    return int(total or 0)
