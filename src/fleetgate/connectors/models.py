"""Connector instances (configured by a Platform Admin) and the durable idempotency store."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils import timezone

from fleetgate.connectors.registry import CHOICES


class Health(models.TextChoices):
    UNKNOWN = "unknown"
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    DOWN = "down"


class ConnectorInstance(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=CHOICES)
    base_url = models.URLField(max_length=500)
    settings = models.JSONField(default=dict)  # non-secret auth and plane settings
    secrets_ciphertext = models.TextField(blank=True, default="")  # Fernet token; the key never enters the DB
    secret_names = models.JSONField(default=list)
    # Where the rollout engine sends artifacts: the platforms this plane serves and the acquisition
    # boundaries it serves them in (empty: every boundary).
    platforms = models.JSONField(default=list)
    boundaries = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    dry_run = models.BooleanField(default=False)
    health = models.CharField(max_length=16, choices=Health.choices, default=Health.UNKNOWN)
    health_detail = models.TextField(blank=True, default="")
    last_checked_at = models.DateTimeField(null=True, blank=True)
    circuit_state = models.CharField(max_length=16, default="closed")
    circuit_failures = models.PositiveIntegerField(default=0)
    circuit_opened_at = models.FloatField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def serves(self, platform: str, boundary: str) -> bool:
        return platform in self.platforms and (not self.boundaries or boundary in self.boundaries)

    @property
    def etag(self) -> str:
        return f'"{self.pk}.{self.revision}"'

    def snapshot(self) -> dict[str, Any]:
        """What the ledger records: never a secret, only which secrets are set."""
        return {
            "name": self.name,
            "kind": self.kind,
            "base_url": self.base_url,
            "settings": self.settings,
            "secret_names": sorted(self.secret_names),
            "platforms": self.platforms,
            "boundaries": self.boundaries,
            "enabled": self.enabled,
            "dry_run": self.dry_run,
            "revision": self.revision,
        }


class IdempotencyRecord(models.Model):
    """(connector, operation, key) → pending before the plane is called, then the result."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    connector = models.ForeignKey(ConnectorInstance, on_delete=models.PROTECT, related_name="operations")
    operation = models.CharField(max_length=32)
    key = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    correlation = models.CharField(max_length=64)
    external_id = models.CharField(max_length=200, blank=True, default="")
    result = models.JSONField(default=dict)
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["connector", "operation", "key"], name="uniq_connector_operation_key")
        ]
