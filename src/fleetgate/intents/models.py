"""Deployment intents and the versioned ring policy they are planned against."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from fleetgate.catalog.models import Application, ApplicationVersion
from fleetgate.core.roles import Scope
from fleetgate.intents.states import State


class RingPolicy(models.Model):
    """An immutable version of the ring defaults (gates, soak, time-to-compliance)."""

    version = models.CharField(max_length=16, unique=True)
    document = models.JSONField()
    sha256 = models.CharField(max_length=64)
    active = models.BooleanField(default=False)
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-loaded_at"]

    @property
    def ring_names(self) -> list[str]:
        return [ring["name"] for ring in self.document["rings"]]

    def ring(self, name: str) -> dict[str, Any]:
        return next(r for r in self.document["rings"] if r["name"] == name)


class DeploymentIntent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    change_reason = models.TextField(blank=True, default="")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="intents")
    version = models.ForeignKey(ApplicationVersion, on_delete=models.PROTECT, related_name="intents")
    target_boundary = models.CharField(max_length=64)
    target_business_unit = models.CharField(max_length=64)
    target_site_classes = models.JSONField(default=list)
    ring_plan = models.JSONField(default=list)
    rollback_plan = models.JSONField(default=dict)
    ring_policy = models.ForeignKey(RingPolicy, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=16, choices=[(s.value, s.value) for s in State], default=State.DRAFT)
    publisher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["application", "state"], name="intent_app_state_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def scope(self) -> Scope:
        return Scope(self.target_boundary, frozenset({self.target_business_unit}), frozenset(self.target_site_classes))

    @property
    def etag(self) -> str:
        return f'"{self.pk}.{self.revision}"'

    @property
    def rings(self) -> list[str]:
        return [step["ring"] for step in self.ring_plan]

    @property
    def target_devices(self) -> int:
        return sum(int(step["device_count"]) for step in self.ring_plan)

    def snapshot(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "change_reason": self.change_reason,
            "application": str(self.application_id),
            "version": self.version.version,
            "target": self.scope.as_dict(),
            "ring_plan": self.ring_plan,
            "rollback_plan": self.rollback_plan,
            "ring_policy": self.ring_policy.version,
            "state": self.state,
            "revision": self.revision,
        }
