"""Drift records (one per intent, plane, group, kind and device) and each intent's reconcile schedule.

A drift is found by a reconciliation pass, says exactly what differs (`expected` / `observed`), and is
routed by ring policy 1.1: fixed automatically (`auto`), or put in front of Endpoint Ops or CAB as a
remediation item. It resolves itself when a pass no longer sees it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils.timezone import now

from fleetgate.connectors.models import ConnectorInstance
from fleetgate.core.roles import Scope
from fleetgate.intents.models import DeploymentIntent
from fleetgate.reconcile.states import Kind, Route, Status
from fleetgate.rollouts.models import PlaneTarget


class Drift(models.Model):
    class Severity(models.TextChoices):
        LOW = "low"
        MEDIUM = "medium"
        HIGH = "high"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    fingerprint = models.CharField(max_length=400, unique=True)  # intent:connector:group:kind:device
    scope_key = models.CharField(max_length=300, db_index=True)  # what a pass must have read to heal it
    intent = models.ForeignKey(DeploymentIntent, on_delete=models.PROTECT, related_name="+")
    connector = models.ForeignKey(ConnectorInstance, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(PlaneTarget, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=16, choices=[(k.value, k.value) for k in Kind], db_index=True)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    plane = models.CharField(max_length=16)  # the connector's kind: intune | jamf | sccm | landscape | ansible
    ring = models.CharField(max_length=32, blank=True, default="")
    group = models.CharField(max_length=200)
    device = models.CharField(max_length=200, blank=True, default="")  # "" for an assignment- or ring-level drift
    device_name = models.CharField(max_length=200, blank=True, default="")
    expected = models.JSONField(default=dict)
    observed = models.JSONField(default=dict)
    summary = models.CharField(max_length=300)
    boundary = models.CharField(max_length=64)
    business_unit = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=[(s.value, s.value) for s in Status], default=Status.OPEN, db_index=True
    )
    route = models.CharField(max_length=16, choices=[(r.value, r.value) for r in Route])
    hold_reason = models.CharField(max_length=300, blank=True, default="")  # why auto-remediation waits
    first_seen = models.DateTimeField(default=now)
    last_seen = models.DateTimeField(default=now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.JSONField(default=dict, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, default="")
    accepted_until = models.DateTimeField(null=True, blank=True)
    decided_by = models.JSONField(default=dict, blank=True)
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-last_seen", "id"]
        indexes = [models.Index(fields=["intent", "status"]), models.Index(fields=["connector", "group"])]

    def __str__(self) -> str:
        return f"{self.kind} drift on {self.plane}/{self.group} {self.device}".strip()

    @property
    def scope(self) -> Scope:
        return Scope(self.boundary, frozenset({self.business_unit}))

    @property
    def etag(self) -> str:
        return f'"{self.pk}.{self.revision}"'

    def snapshot(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "plane": self.plane,
            "ring": self.ring,
            "group": self.group,
            "device": self.device,
            "expected": self.expected,
            "observed": self.observed,
            "status": self.status,
            "route": self.route,
            "attempts": self.attempts,
            "accepted_until": self.accepted_until.isoformat() if self.accepted_until else None,
            "reason": self.decision_reason,
        }


class Schedule(models.Model):
    """When each intent is next reconciled (interval by criticality, with a stable jitter)."""

    intent = models.OneToOneField(DeploymentIntent, on_delete=models.CASCADE, related_name="+")
    next_run_at = models.DateTimeField(db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    hurried = models.BooleanField(default=False)  # an event asked for an early pass
