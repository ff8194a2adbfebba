"""Rollouts: one per started intent, its ring runs, the plane targets behind each ring, the latest
outcome of every gate, incidents, and the calendars (maintenance windows, blackouts, freezes).

Timestamps are real time; the demo clock (``clock.py``) only scales *elapsed* time when gates read it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.timezone import now

from fleetgate.catalog.models import Artifact
from fleetgate.connectors.models import ConnectorInstance
from fleetgate.core.roles import ANY, Scope
from fleetgate.intents.models import DeploymentIntent
from fleetgate.rollouts.states import Outcome, Priority, RingState


class Rollout(models.Model):
    """The execution record of an intent. `status` is the one-word answer the UI lists by."""

    class Status(models.TextChoices):
        RUNNING = "running"
        AWAITING_JUDGMENT = "awaiting_judgment"
        BLOCKED = "blocked"  # holding on a gate a person must fix (approval, freeze, evidence)
        PAUSED = "paused"
        HALTED = "halted"
        ROLLING_BACK = "rolling_back"
        ROLLED_BACK = "rolled_back"
        COMPLETED = "completed"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    intent = models.OneToOneField(DeploymentIntent, on_delete=models.PROTECT, related_name="rollout")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.RUNNING, db_index=True)
    status_detail = models.TextField(blank=True, default="")
    current_ring = models.CharField(max_length=32, blank=True, default="")
    pack_versions = models.JSONField(default=dict)  # artifact id -> sealed pack version the rollout started on
    incidents_handled = models.JSONField(default=list, blank=True)  # incident ids already acted on (pause/rollback)
    started_by = models.JSONField(default=dict)  # actor ledger view
    started_at = models.DateTimeField(default=now)
    finished_at = models.DateTimeField(null=True, blank=True)
    rollback_reason = models.TextField(blank=True, default="")
    # A lease instead of a row lock across plane calls: one advance at a time, a crashed worker's
    # lease expires and the next advance resumes with the same idempotency keys.
    lease_owner = models.CharField(max_length=64, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"rollout of {self.intent_id}"

    @property
    def scope(self) -> Scope:
        return self.intent.scope

    def snapshot(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "status_detail": self.status_detail,
            "current_ring": self.current_ring,
            "pack_versions": self.pack_versions,
            "revision": self.revision,
        }


class RingRun(models.Model):
    rollout = models.ForeignKey(Rollout, on_delete=models.CASCADE, related_name="rings")
    ring = models.CharField(max_length=32)
    position = models.PositiveSmallIntegerField()  # index in the intent's ring plan
    state = models.CharField(max_length=24, choices=[(s.value, s.value) for s in RingState], default=RingState.PENDING)
    assigned_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    judgment = models.JSONField(default=dict, blank=True)  # who promoted an inconclusive ring, why, with what inputs
    rollback_started_at = models.DateTimeField(null=True, blank=True)
    rollback_finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["rollout", "position"]
        constraints = [models.UniqueConstraint(fields=["rollout", "ring"], name="uniq_rollout_ring")]

    def __str__(self) -> str:
        return f"{self.ring} ({self.state})"


class PlaneTarget(models.Model):
    """One artifact on one plane for one ring: its group there and what the plane last reported."""

    ring_run = models.ForeignKey(RingRun, on_delete=models.CASCADE, related_name="targets")
    connector = models.ForeignKey(ConnectorInstance, on_delete=models.PROTECT, related_name="+")
    artifact = models.ForeignKey(Artifact, on_delete=models.PROTECT, related_name="+")
    group = models.CharField(max_length=200)
    planned_devices = models.PositiveIntegerField()  # what the publisher typed
    # The plane's group membership when the ring was entered (``group_size``): the count that counts.
    observed_devices = models.PositiveIntegerField(null=True, blank=True)
    app_ref = models.JSONField(default=dict, blank=True)  # AppRef of the published app
    assignment_id = models.CharField(max_length=200, blank=True, default="")
    counts = models.JSONField(default=dict, blank=True)  # installed / failed / pending / not_applicable
    error_codes = models.JSONField(default=dict, blank=True)  # code -> {"count": n, "devices": [...]}
    site_classes = models.JSONField(default=dict, blank=True)  # site class -> devices still pending
    observed_at = models.DateTimeField(null=True, blank=True)
    rollback_app_ref = models.JSONField(default=dict, blank=True)
    rollback_counts = models.JSONField(default=dict, blank=True)
    rollback_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ring_run", "connector__name", "artifact__platform"]
        constraints = [
            models.UniqueConstraint(fields=["ring_run", "connector", "artifact"], name="uniq_ring_plane_artifact")
        ]


class GateResult(models.Model):
    """The latest outcome of one gate for one ring; a change of outcome is a `gate.evaluated` event."""

    ring_run = models.ForeignKey(RingRun, on_delete=models.CASCADE, related_name="gates")
    gate = models.CharField(max_length=48)
    outcome = models.CharField(max_length=16, choices=[(o.value, o.value) for o in Outcome])
    summary = models.TextField(blank=True, default="")
    inputs = models.JSONField(default=dict, blank=True)
    evaluated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["ring_run", "id"]
        constraints = [models.UniqueConstraint(fields=["ring_run", "gate"], name="uniq_ring_gate")]


class Incident(models.Model):
    class State(models.TextChoices):
        OPEN = "open"
        RESOLVED = "resolved"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    intent = models.ForeignKey(DeploymentIntent, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    artifact = models.ForeignKey(Artifact, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    priority = models.CharField(max_length=2, choices=[(p.value, p.value) for p in Priority])
    security = models.BooleanField(default=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    external_ticket = models.CharField(max_length=100, blank=True, default="")
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN, db_index=True)
    boundary = models.CharField(max_length=64)
    business_unit = models.CharField(max_length=64)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-opened_at"]

    @property
    def scope(self) -> Scope:
        return Scope(self.boundary, frozenset({self.business_unit}))

    def snapshot(self) -> dict[str, Any]:
        return {
            "priority": self.priority,
            "security": self.security,
            "title": self.title,
            "intent": str(self.intent_id) if self.intent_id else None,
            "artifact": str(self.artifact_id) if self.artifact_id else None,
            "external_ticket": self.external_ticket,
            "state": self.state,
            "resolution": self.resolution,
        }


class MaintenanceWindow(models.Model):
    """A recurring window (changes allowed inside) or blackout (no change inside), per scope."""

    class Kind(models.TextChoices):
        WINDOW = "window"
        BLACKOUT = "blackout"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    boundary = models.CharField(max_length=64)
    business_unit = models.CharField(max_length=64, blank=True, default="")  # "" = every BU of the boundary
    site_class = models.CharField(max_length=16, blank=True, default="")  # "" = every site class
    timezone = models.CharField(max_length=64, default="UTC")
    starts_local = models.CharField(max_length=19)  # first occurrence, wall time in `timezone`: 2026-12-05T22:00
    duration_minutes = models.PositiveIntegerField()
    rrule = models.CharField(max_length=500, blank=True, default="")  # RFC 5545 RRULE; "" = once
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["boundary", "name"]

    @property
    def scope(self) -> Scope:
        return Scope(self.boundary, frozenset({self.business_unit or ANY}))

    def snapshot(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "boundary": self.boundary,
            "business_unit": self.business_unit,
            "site_class": self.site_class,
            "timezone": self.timezone,
            "starts_local": self.starts_local,
            "duration_minutes": self.duration_minutes,
            "rrule": self.rrule,
            "active": self.active,
        }


class ChangeFreeze(models.Model):
    """A global change freeze by a Platform Admin: on until someone turns it off, with reasons."""

    reason = models.TextField()
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=now)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-started_at"]
