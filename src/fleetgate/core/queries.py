"""Scoped reads of identities."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.models import ApiToken


def users() -> QuerySet[Any]:
    return get_user_model().objects.prefetch_related("role_bindings").order_by("username")


def tokens_visible_to(actor: Actor) -> QuerySet[ApiToken]:
    qs = ApiToken.objects.select_related("user").order_by("-created_at")
    if permissions.can(actor, "token.manage"):
        return qs
    if actor.user_pk is None:
        return qs.none()
    return qs.filter(user_id=actor.user_pk)
