"""Applications, their versions and the artifacts that install them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from fleetgate.core.roles import Scope


class Platform(models.TextChoices):
    WINDOWS = "windows", "Windows"
    MACOS = "macos", "macOS"
    LINUX = "linux", "Linux"
    IOS = "ios", "iOS"
    ANDROID = "android", "Android"


class ArtifactFormat(models.TextChoices):
    MSI = "msi", "MSI"
    MSIX = "msix", "MSIX"
    EXE = "exe", "EXE"
    INTUNEWIN = "intunewin", "intunewin"
    PKG = "pkg", "PKG"
    DMG = "dmg", "DMG"
    DEB = "deb", "DEB"
    RPM = "rpm", "RPM"


class SupportTier(models.TextChoices):
    TIER1 = "tier1", "Tier 1 (vendor + internal 24x7)"
    TIER2 = "tier2", "Tier 2 (business hours)"
    TIER3 = "tier3", "Tier 3 (best effort)"


class Category(models.TextChoices):
    PRODUCTIVITY = "productivity", "Productivity"
    BUSINESS = "business", "Business application"
    SECURITY = "security", "Security tooling"
    INFRASTRUCTURE = "infrastructure", "Infrastructure agent"
    DEVELOPER = "developer", "Developer tools"
    UTILITY = "utility", "Utility"


class BlastRadiusClass(models.TextChoices):
    """How much of the business an application can take down; sets the CAB quorum."""

    CRITICAL_INFRASTRUCTURE = "critical_infrastructure", "Critical infrastructure"
    BUSINESS_CRITICAL = "business_critical", "Business critical"
    PRODUCTIVITY = "productivity", "Productivity"
    NON_CRITICAL = "non_critical", "Non-critical"


DEFAULT_CLASS_BY_CATEGORY = {
    "infrastructure": BlastRadiusClass.CRITICAL_INFRASTRUCTURE,
    "security": BlastRadiusClass.CRITICAL_INFRASTRUCTURE,
    "business": BlastRadiusClass.BUSINESS_CRITICAL,
    "productivity": BlastRadiusClass.PRODUCTIVITY,
    "developer": BlastRadiusClass.PRODUCTIVITY,
    "utility": BlastRadiusClass.NON_CRITICAL,
}


class Application(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True)
    vendor = models.CharField(max_length=200)
    category = models.CharField(max_length=32, choices=Category.choices)
    support_tier = models.CharField(max_length=16, choices=SupportTier.choices, default=SupportTier.TIER2)
    platforms = models.JSONField(default=list)
    boundary = models.CharField(max_length=64)
    business_units = models.JSONField(default=list)
    privileged_tooling = models.BooleanField(default=False)
    blast_radius_class = models.CharField(
        max_length=32, choices=BlastRadiusClass.choices, default=BlastRadiusClass.PRODUCTIVITY
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def scope(self) -> Scope:
        return Scope(self.boundary, frozenset(self.business_units))

    def snapshot(self) -> dict[str, object]:
        return {
            "name": self.name,
            "vendor": self.vendor,
            "category": self.category,
            "support_tier": self.support_tier,
            "platforms": list(self.platforms),
            "boundary": self.boundary,
            "business_units": list(self.business_units),
            "privileged_tooling": self.privileged_tooling,
            "blast_radius_class": self.blast_radius_class,
        }


class ApplicationVersion(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(max_length=64)
    release_notes = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["application__name", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["application", "version"], name="uniq_app_version")]

    def __str__(self) -> str:
        return f"{self.application.name} {self.version}"

    @property
    def scope(self) -> Scope:
        return self.application.scope


class Artifact(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(ApplicationVersion, on_delete=models.PROTECT, related_name="artifacts")
    platform = models.CharField(max_length=16, choices=Platform.choices)
    format = models.CharField(max_length=16, choices=ArtifactFormat.choices)
    filename = models.CharField(max_length=255)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["version", "sha256"], name="uniq_version_digest")]

    @property
    def scope(self) -> Scope:
        return self.version.application.scope

    def snapshot(self) -> dict[str, object]:
        return {
            "version": str(self.version_id),
            "platform": self.platform,
            "format": self.format,
            "filename": self.filename,
            "size": self.size,
            "sha256": self.sha256,
        }
