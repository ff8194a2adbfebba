"""The ledger: an append-only, hash-chained event log. Only audit.record() writes here."""

from __future__ import annotations

from typing import Any

import rfc8785
from django.db import models

GENESIS_HASH = "0" * 64


class LedgerEvent(models.Model):
    sequence = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField(db_index=True)
    actor_kind = models.CharField(max_length=16)
    actor_id = models.CharField(max_length=64, db_index=True)
    actor_name = models.CharField(max_length=150)
    actor_roles = models.JSONField(default=list)
    action = models.CharField(max_length=64, db_index=True)
    severity = models.CharField(max_length=16, default="info")
    subject_type = models.CharField(max_length=48)
    subject_id = models.CharField(max_length=64)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    reason = models.TextField(default="", blank=True)
    correlation_id = models.CharField(max_length=128, db_index=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "sequence"], name="ledger_subject_idx")]

    def canonical_content(self) -> dict[str, Any]:
        """Everything the hash covers, as plain JSON values."""
        return {
            "sequence": self.sequence,
            "occurred_at": self.occurred_at.isoformat(timespec="microseconds"),
            "actor": {
                "kind": self.actor_kind,
                "id": self.actor_id,
                "name": self.actor_name,
                "roles": list(self.actor_roles),
            },
            "action": self.action,
            "severity": self.severity,
            "subject": {"type": self.subject_type, "id": self.subject_id},
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
            "correlation_id": self.correlation_id,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        import hashlib

        return hashlib.sha256(rfc8785.dumps(self.canonical_content())).hexdigest()

    def as_export(self) -> dict[str, Any]:
        return {**self.canonical_content(), "hash": self.hash}


class LedgerHead(models.Model):
    """The chain's tip. Locking this single row serialises writers so the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)


class LedgerCheckpoint(models.Model):
    """A signed statement of the head at a moment, so truncating the tail is detectable too."""

    sequence = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    key_id = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)

    class Meta:
        ordering = ["-sequence"]
