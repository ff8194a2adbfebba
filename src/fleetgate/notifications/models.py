"""Webhook targets (secrets encrypted at rest), notification records and the delivery log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

EVENTS = (
    "cab_request.opened",
    "cab.decision_made",
    "exception.expiring",
    "exception.expired",
    "breakglass.used",
)


class WebhookTarget(models.Model):
    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500)
    secret_encrypted = models.TextField()  # Fernet token of the HMAC secret (core.secrets)
    events = models.JSONField(default=list)  # empty: every event
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def wants(self, event: str) -> bool:
        return self.active and (not self.events or event in self.events)

    def snapshot(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url, "events": list(self.events), "active": self.active}


class Notification(models.Model):
    event = models.CharField(max_length=64, db_index=True)
    subject_type = models.CharField(max_length=48)
    subject_id = models.CharField(max_length=64)
    payload = models.JSONField()
    recipients = models.JSONField(default=list)  # usernames
    correlation_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after the last retry


class Delivery(models.Model):
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    target = models.ForeignKey(WebhookTarget, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]


class NotificationRead(models.Model):
    """That one person has read one notification (read state is per person: a notification has many readers)."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notification", "user"], name="uniq_notification_reader")]
