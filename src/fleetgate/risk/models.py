"""Rubric versions (immutable documents) and immutable risk assessments."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from fleetgate.catalog.models import Artifact
from fleetgate.core.roles import Scope
from fleetgate.intents.models import DeploymentIntent


class ModelState(models.TextChoices):
    PROPOSED = "proposed"  # a Security Reviewer proposed it
    PARALLEL = "parallel"  # CAB approved: scored alongside the active version, both stored
    ACTIVE = "active"  # CAB activated it: its score is the one that counts
    RETIRED = "retired"
    REJECTED = "rejected"  # CAB turned it down (as a proposal or during its parallel period), with a reason


class RiskModel(models.Model):
    version = models.CharField(max_length=16, primary_key=True)
    document = models.JSONField()
    sha256 = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=ModelState.choices)
    reason = models.TextField(blank=True, default="")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    loaded_at = models.DateTimeField(default=timezone.now)
    parallel_since = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-loaded_at"]

    def snapshot(self) -> dict[str, Any]:
        return {"version": self.version, "sha256": self.sha256, "state": self.state}


class Role(models.TextChoices):
    PRIMARY = "primary"
    PARALLEL = "parallel"


class RiskAssessment(models.Model):
    """Never updated: a new assessment supersedes an older one for the same intent."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    intent = models.ForeignKey(DeploymentIntent, on_delete=models.PROTECT, related_name="risk_assessments")
    artifact = models.ForeignKey(Artifact, on_delete=models.PROTECT, related_name="+")
    risk_model = models.ForeignKey(RiskModel, on_delete=models.PROTECT, related_name="assessments")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PRIMARY)
    primary = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="parallel")
    inputs = models.JSONField()  # facts + declared choices: everything the score is a function of
    inputs_sha256 = models.CharField(max_length=64)
    factors = models.JSONField()  # per factor: option, value, weight, contribution, source, rationale
    raw = models.CharField(max_length=32)  # Decimal as text
    score = models.PositiveSmallIntegerField()
    cab_required = models.BooleanField()
    reasons = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def scope(self) -> Scope:
        return self.intent.scope

    def snapshot(self) -> dict[str, Any]:
        return {
            "assessment_id": str(self.pk),
            "intent": str(self.intent_id),
            "artifact": str(self.artifact_id),
            "rubric_version": self.risk_model_id,
            "role": self.role,
            "inputs_sha256": self.inputs_sha256,
            "raw": self.raw,
            "score": self.score,
            "cab_required": self.cab_required,
            "reasons": list(self.reasons),
            "factors": self.factors,
        }
