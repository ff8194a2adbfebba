"""Job records: what the background worker ran, when, and how it ended (operational, not the ledger)."""

from __future__ import annotations

from django.db import models


class JobRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    task = models.CharField(max_length=100, db_index=True)
    task_id = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    correlation_id = models.CharField(max_length=128)
    started_at = models.DateTimeField(null=True)
    queued_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)
    error = models.TextField(blank=True, default="")
    # A job a person asked for (rollout actions) or the engine ran for one intent
    intent_id = models.UUIDField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=32, blank=True, default="")
    requested_by = models.JSONField(default=dict, blank=True)
    params = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    log = models.JSONField(default=list, blank=True)  # structured lines: {"at", "level", "message", ...}

    class Meta:
        ordering = ["-id"]
