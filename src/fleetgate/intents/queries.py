"""Reads of intents."""

from __future__ import annotations

from django.db.models import QuerySet

from fleetgate.core.actors import Actor
from fleetgate.core.scoping import INTENT, scoped
from fleetgate.intents.models import DeploymentIntent, RingPolicy


def intents(actor: Actor | None = None) -> QuerySet[DeploymentIntent]:
    """Every intent, or those `actor` may read (in one of their grants' scope)."""
    qs = DeploymentIntent.objects.select_related("application", "version", "ring_policy", "publisher")
    return scoped(actor, qs, INTENT)


def ring_policies() -> QuerySet[RingPolicy]:
    return RingPolicy.objects.all()
