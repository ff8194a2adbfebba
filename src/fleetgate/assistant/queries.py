"""Reads of the assistant's own records: provider configurations, interactions, token use."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from django.db.models import F, QuerySet, Sum
from django.utils import timezone

from fleetgate.assistant.models import Interaction, ProviderConfig
from fleetgate.core import permissions
from fleetgate.core.actors import Actor


def providers() -> QuerySet[ProviderConfig]:
    return ProviderConfig.objects.all()


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
