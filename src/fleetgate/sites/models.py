"""The site registry, the distribution strategy per site class, the installations whose bundles this one
trusts, and the record of every bundle exported or imported (intent bundles and results bundles)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from fleetgate.core.roles import ANY, Scope, SiteClass
from fleetgate.intents.models import DeploymentIntent

USER = settings.AUTH_USER_MODEL


class Distribution(models.TextChoices):
    CONNECTOR = "connector"  # served live through the plane's connector
    CONNECTOR_OR_BUNDLE = "connector_or_bundle"  # live when reachable, a signed bundle across an outage
    SIGNED_BUNDLE = "signed_bundle"  # never reached over the network


BUNDLE_DISTRIBUTIONS = frozenset({Distribution.CONNECTOR_OR_BUNDLE, Distribution.SIGNED_BUNDLE})


class DistributionStrategy(models.Model):
    """How one site class is served; loaded from policy/site-distribution-v1.json, edited as policy."""

    site_class = models.CharField(max_length=16, choices=SiteClass.choices, unique=True)
    distribution = models.CharField(max_length=24, choices=Distribution.choices)
    results = models.CharField(max_length=32)
    vuln_snapshot_max_age_days = models.PositiveSmallIntegerField(default=7)
    notes = models.TextField(blank=True, default="")
    policy_version = models.CharField(max_length=16)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["site_class"]

    def snapshot(self) -> dict[str, Any]:
        return {
            "site_class": self.site_class,
            "distribution": self.distribution,
            "results": self.results,
            "vuln_snapshot_max_age_days": self.vuln_snapshot_max_age_days,
            "notes": self.notes,
            "policy_version": self.policy_version,
        }


class Site(models.Model):
    """A place endpoints live: its class, acquisition boundary, the plane that serves it, its time zone.

    ``public_key_pem`` is the Ed25519 bundle key of the Fleetgate installed at the site (air-gapped and
    intermittent sites): results bundles from the site verify against it and nothing else."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200, blank=True, default="")
    site_class = models.CharField(max_length=16, choices=SiteClass.choices)
    boundary = models.CharField(max_length=64)
    plane = models.CharField(max_length=16)  # connector kind of the site's execution plane
    connector_name = models.CharField(max_length=100, blank=True, default="")  # the connector serving it
    time_zone = models.CharField(max_length=64, default="UTC")
    public_key_pem = models.TextField(blank=True, default="")
    key_id = models.CharField(max_length=64, blank=True, default="")
    active = models.BooleanField(default=True)
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def scope(self) -> Scope:
        return Scope(self.boundary, frozenset({ANY}), frozenset({self.site_class}))

    @property
    def etag(self) -> str:
        return f'"{self.pk}.{self.revision}"'

    def snapshot(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "site_class": self.site_class,
            "boundary": self.boundary,
            "plane": self.plane,
            "connector_name": self.connector_name,
            "time_zone": self.time_zone,
            "key_id": self.key_id,
            "active": self.active,
            "revision": self.revision,
        }


class TrustedInstallation(models.Model):
    """Another Fleetgate installation whose bundle key this one trusts (at a site: the central one)."""

    key_id = models.CharField(max_length=64, primary_key=True)
    name = models.CharField(max_length=100)
    public_key_pem = models.TextField()
    added_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def snapshot(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "name": self.name,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


class BundleKind(models.TextChoices):
    INTENT = "intent"  # central → site: an approved intent with everything that proves it
    RESULTS = "results"  # site → central: what the site's plane observed, per ring


class BundleExport(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # the bundle id in its manifest
    kind = models.CharField(max_length=16, choices=BundleKind.choices)
    intent = models.ForeignKey(DeploymentIntent, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="exports")
    manifest_sha256 = models.CharField(max_length=64)
    key_id = models.CharField(max_length=64)
    size = models.BigIntegerField()
    filename = models.CharField(max_length=255)
    vuln_snapshot_date = models.DateTimeField(null=True, blank=True)
    stale_exception = models.CharField(max_length=64, blank=True, default="")  # exception id covering a stale one
    summary = models.JSONField(default=dict)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def scope(self) -> Scope:
        return self.intent.scope

    def snapshot(self) -> dict[str, Any]:
        return {
            "bundle": str(self.pk),
            "kind": self.kind,
            "intent": str(self.intent_id),
            "site": self.site.name,
            "manifest_sha256": self.manifest_sha256,
            "key_id": self.key_id,
            "size": self.size,
            "vuln_snapshot_date": self.vuln_snapshot_date.isoformat() if self.vuln_snapshot_date else None,
            "stale_exception": self.stale_exception or None,
        }


class BundleImport(models.Model):
    """A bundle this installation verified and took in. One row per bundle: importing twice is refused."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=BundleKind.choices)
    bundle_id = models.UUIDField()
    intent = models.ForeignKey(DeploymentIntent, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="imports")
    manifest_sha256 = models.CharField(max_length=64)
    signer_key_id = models.CharField(max_length=64)
    checks = models.JSONField(default=list)
    approval_record = models.JSONField(default=dict, blank=True)  # intent bundles: CAB decisions, exceptions
    rings = models.JSONField(default=dict, blank=True)  # results bundles: per-ring counts as signed by the site
    imported_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "bundle_id"], name="uniq_bundle_import")]

    @property
    def scope(self) -> Scope:
        return self.intent.scope

    def snapshot(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "bundle": str(self.bundle_id),
            "intent": str(self.intent_id),
            "site": self.site.name,
            "manifest_sha256": self.manifest_sha256,
            "signer_key_id": self.signer_key_id,
        }


class SiteRing(models.Model):
    """At a site: one ring of an imported intent on the site's own plane, and what the plane last reported."""

    source = models.ForeignKey(BundleImport, on_delete=models.PROTECT, related_name="site_rings")
    ring = models.CharField(max_length=32)
    position = models.PositiveSmallIntegerField()
    connector_name = models.CharField(max_length=100)
    group = models.CharField(max_length=200)
    app_ref = models.JSONField(default=dict, blank=True)
    assignment_id = models.CharField(max_length=200, blank=True, default="")
    counts = models.JSONField(default=dict, blank=True)  # installed / failed / pending / not_applicable / total
    deployed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    deployed_at = models.DateTimeField(default=timezone.now)
    observed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["source", "position"]
        constraints = [models.UniqueConstraint(fields=["source", "ring"], name="uniq_site_ring")]


class SiteRingResult(models.Model):
    """At central: a site's signed counts for one ring of a rollout, as the latest results bundle said."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="ring_results")
    intent = models.ForeignKey(DeploymentIntent, on_delete=models.PROTECT, related_name="+")
    ring = models.CharField(max_length=32)
    installed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    not_applicable = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    observed_at = models.DateTimeField()
    source = models.ForeignKey(BundleImport, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["intent", "ring", "site__name"]
        constraints = [models.UniqueConstraint(fields=["site", "intent", "ring"], name="uniq_site_ring_result")]

    def counts(self) -> dict[str, int]:
        return {
            "installed": self.installed,
            "failed": self.failed,
            "pending": self.pending,
            "not_applicable": self.not_applicable,
            "total": self.total,
        }
