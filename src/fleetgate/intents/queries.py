"""Reads of intents."""

from __future__ import annotations

from django.db.models import F, QuerySet

from fleetgate.core.actors import Actor
from fleetgate.core.scoping import INTENT, scoped
from fleetgate.intents.models import DeploymentIntent, RingPolicy


def intents(actor: Actor | None = None) -> QuerySet[DeploymentIntent]:
    """Every intent, or those `actor` may read (in one of their grants' scope)."""
    qs = DeploymentIntent.objects.select_related("application", "version", "ring_policy", "publisher")
    return scoped(actor, qs, INTENT)


# What a read shows of an intent's related rows is their name: read as columns of the intent's own row,
# so a page needs one model instance a row instead of five (issue 16), and the ring policy's 2 KB document
# and the publisher's password hash are never loaded. `IntentSerializer` reads these when present.
RELATED_NAMES = {
    "application_name": F("application__name"),
    "version_name": F("version__version"),
    "ring_policy_version": F("ring_policy__version"),
    "publisher_name": F("publisher__username"),
}


def intent_reads(actor: Actor | None) -> QuerySet[DeploymentIntent]:
    """The intents `actor` may read, with their related rows' names (RELATED_NAMES) and nothing else of them."""
    return scoped(actor, DeploymentIntent.objects.annotate(**RELATED_NAMES), INTENT)


def ring_policies() -> QuerySet[RingPolicy]:
    return RingPolicy.objects.all()
