"""Reads of intents."""

from __future__ import annotations

from django.db.models import QuerySet

from fleetgate.intents.models import DeploymentIntent, RingPolicy


def intents() -> QuerySet[DeploymentIntent]:
    return DeploymentIntent.objects.select_related("application", "version", "ring_policy", "publisher")


def ring_policies() -> QuerySet[RingPolicy]:
    return RingPolicy.objects.all()
