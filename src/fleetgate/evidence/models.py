"""Evidence data: items attached to an artifact, their SBOM components, trusted keys and sealed packs."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from fleetgate.catalog.models import Artifact
from fleetgate.core.roles import Scope
from fleetgate.evidence import crypto
from fleetgate.evidence.documents import Kind, Status
from fleetgate.intents.models import DeploymentIntent


class EvidenceItem(models.Model):
    """One uploaded evidence document, immutable. A newer item of the same kind and slot supersedes it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    artifact = models.ForeignKey(Artifact, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(max_length=32, choices=[(k.value, k.value) for k in Kind])
    slot = models.CharField(max_length=32, default="", blank=True)  # signatures: detached / authenticode / ...
    format = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=[(s.value, s.value) for s in Status])
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)  # of the uploaded document, kept in the content-addressed store
    size = models.BigIntegerField()
    summary = models.JSONField()
    current = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["artifact", "kind", "current"], name="evidence_current_idx")]

    @property
    def scope(self) -> Scope:
        return self.artifact.scope

    def snapshot(self) -> dict[str, Any]:
        light = {k: v for k, v in self.summary.items() if k not in ("components", "findings", "envelope")}
        return {
            "artifact": str(self.artifact_id),
            "artifact_sha256": self.artifact.sha256,
            "kind": self.kind,
            "slot": self.slot,
            "format": self.format,
            "status": self.status,
            "filename": self.filename,
            "sha256": self.sha256,
            "size": self.size,
            "summary": light,
        }


class SbomComponent(models.Model):
    """A component listed by an SBOM, so 'which artifacts contain X version Y?' is one indexed query."""

    evidence = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="components")
    artifact = models.ForeignKey(Artifact, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=255)
    version = models.CharField(max_length=128, blank=True, default="")
    purl = models.CharField(max_length=512, blank=True, default="")
    licenses = models.JSONField(default=list)
    hashes = models.JSONField(default=list)

    class Meta:
        ordering = ["name", "version", "id"]
        indexes = [
            models.Index(fields=["name", "version"], name="component_name_version_idx"),
            models.Index(fields=["purl"], name="component_purl_idx"),
        ]


class TrustedKey(models.Model):
    """A publisher key or X.509 root a Security Reviewer registered for verifying signatures."""

    KINDS = [("public_key", "Public key"), ("x509_root", "X.509 root certificate")]

    key_id = models.CharField(max_length=64, primary_key=True)
    name = models.CharField(max_length=200)
    publisher = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=KINDS)
    algorithm = models.CharField(max_length=32)
    pem = models.TextField()
    not_before = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["publisher", "name"]

    def as_value(self) -> crypto.TrustedKey:
        return crypto.TrustedKey(
            key_id=self.key_id,
            name=self.name,
            publisher=self.publisher,
            kind=self.kind,
            pem=self.pem,
            not_before=self.not_before,
            expires_at=self.expires_at,
            revoked_at=self.revoked_at,
        )

    def snapshot(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "name": self.name,
            "publisher": self.publisher,
            "kind": self.kind,
            "algorithm": self.algorithm,
            "not_before": self.not_before.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


class SealKey(models.Model):
    """The installation's evidence sealing keys: the private half lives in the data dir, never here.

    Retired keys stay, so packs sealed before a rotation still verify."""

    key_id = models.CharField(max_length=64, primary_key=True)
    public_pem = models.TextField()
    activated_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-activated_at"]


class EvidencePack(models.Model):
    """A sealed pack: the exact sealed JSON text, its content address and signature. Never changes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    intent = models.ForeignKey(DeploymentIntent, on_delete=models.PROTECT, related_name="evidence_packs")
    artifact = models.ForeignKey(Artifact, on_delete=models.PROTECT, related_name="packs")
    version = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(max_length=64)
    sealed_json = models.TextField()
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    sealed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sealed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sealed_at", "-version"]
        constraints = [models.UniqueConstraint(fields=["intent", "artifact", "version"], name="uniq_pack_version")]

    @property
    def scope(self) -> Scope:
        return self.artifact.scope

    def snapshot(self) -> dict[str, Any]:
        return {
            "intent": str(self.intent_id),
            "artifact": str(self.artifact_id),
            "version": self.version,
            "sha256": self.sha256,
            "key_id": self.key_id,
            "supersedes": str(self.supersedes_id) if self.supersedes_id else None,
        }
