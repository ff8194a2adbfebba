"""Every write to the catalog. Each runs in one transaction and lands in the ledger."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction

from fleetgate.audit import services as audit
from fleetgate.catalog.models import (
    DEFAULT_CLASS_BY_CATEGORY,
    Application,
    ApplicationVersion,
    Artifact,
    ArtifactFormat,
    BlastRadiusClass,
    Category,
    Platform,
    SupportTier,
)
from fleetgate.catalog.store import HashedTempFile
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import Conflict
from fleetgate.core.lookups import locked, user_of
from fleetgate.core.roles import Scope
from fleetgate.core.validation import Issues, check_choice, check_semver, check_subset

APPLICATION_FIELDS = (
    "name",
    "vendor",
    "category",
    "support_tier",
    "platforms",
    "boundary",
    "business_units",
    "privileged_tooling",
)


def _validate_application(data: dict[str, Any]) -> None:
    issues = Issues()
    for name in ("name", "vendor", "boundary"):
        if not str(data.get(name, "")).strip():
            issues.add(name, "required", f"{name} must not be empty.")
    check_choice(issues, "category", data.get("category"), Category.values)
    check_choice(issues, "support_tier", data.get("support_tier"), SupportTier.values)
    check_subset(issues, "platforms", data.get("platforms", []), Platform.values)
    if not data.get("platforms"):
        issues.add("platforms", "required", "Name at least one platform.")
    if not data.get("business_units"):
        issues.add("business_units", "required", "Name at least one business unit (or * for all).")
    issues.raise_if_any()


def create_application(*, actor: Actor, data: dict[str, Any]) -> Application:
    values = {k: data[k] for k in APPLICATION_FIELDS if k in data}
    values.setdefault("support_tier", SupportTier.TIER2)
    values.setdefault("privileged_tooling", False)
    _validate_application(values)
    values["blast_radius_class"] = DEFAULT_CLASS_BY_CATEGORY[values["category"]]
    with transaction.atomic():
        permissions.require(actor, "application.create", Scope(values["boundary"], frozenset(values["business_units"])))
        if Application.objects.filter(name=values["name"]).exists():
            raise Conflict(f"An application named '{values['name']}' exists already; pick another name.")
        app = Application.objects.create(**values)
        audit.record(
            actor=actor,
            action="application.created",
            subject_type="application",
            subject_id=app.pk,
            after=app.snapshot(),
        )
    return app


def update_application(*, actor: Actor, application_id: UUID, data: dict[str, Any]) -> Application:
    with transaction.atomic():
        app = locked(Application, application_id, "application")
        permissions.require(actor, "application.update", app)
        before = app.snapshot()
        merged = {**before, **{k: v for k, v in data.items() if k in APPLICATION_FIELDS}}
        _validate_application(merged)
        for key, value in merged.items():
            setattr(app, key, value)
        app.save()
        audit.record(
            actor=actor,
            action="application.updated",
            subject_type="application",
            subject_id=app.pk,
            before=before,
            after=app.snapshot(),
        )
    return app


def classify_application(*, actor: Actor, application_id: UUID, blast_radius_class: str, reason: str) -> Application:
    """Set the blast-radius class (and so the CAB quorum); a governance decision, so it needs a reason."""
    issues = Issues()
    check_choice(issues, "blast_radius_class", blast_radius_class, BlastRadiusClass.values)
    if not reason.strip():
        issues.add("reason", "required", "Say why the classification changes; CAB quorum depends on it.")
    issues.raise_if_any()
    with transaction.atomic():
        app = locked(Application, application_id, "application")
        permissions.require(actor, "application.classify", app)
        before = app.snapshot()
        app.blast_radius_class = blast_radius_class
        app.save(update_fields=["blast_radius_class", "updated_at"])
        audit.record(
            actor=actor,
            action="application.classified",
            subject_type="application",
            subject_id=app.pk,
            before=before,
            after=app.snapshot(),
            reason=reason,
        )
    return app


def create_version(*, actor: Actor, application_id: UUID, version: str, release_notes: str = "") -> ApplicationVersion:
    issues = Issues()
    check_semver(issues, "version", version)
    issues.raise_if_any()
    with transaction.atomic():
        app = locked(Application, application_id, "application")
        permissions.require(actor, "version.create", app)
        if app.versions.filter(version=version).exists():
            raise Conflict(f"{app.name} already has version {version}; versions are immutable, bump it.")
        row = ApplicationVersion.objects.create(
            application=app, version=version, release_notes=release_notes, created_by=user_of(actor)
        )
        audit.record(
            actor=actor,
            action="version.created",
            subject_type="application_version",
            subject_id=row.pk,
            after={"application": str(app.pk), "version": version, "release_notes": release_notes},
        )
    return row


def register_artifact(
    *,
    actor: Actor,
    version_id: UUID,
    platform: str,
    artifact_format: str,
    filename: str,
    upload: HashedTempFile,
    declared_sha256: str | None = None,
) -> Artifact:
    """Record an uploaded artifact; its digest is the one Fleetgate computed while receiving it."""
    issues = Issues()
    check_choice(issues, "platform", platform, Platform.values)
    check_choice(issues, "format", artifact_format, ArtifactFormat.values)
    if declared_sha256 and declared_sha256.lower() != upload.hexdigest:
        issues.add(
            "sha256",
            "digest-mismatch",
            f"You declared {declared_sha256} but the uploaded bytes hash to {upload.hexdigest}; "
            "re-upload the file or correct the digest.",
        )
    if issues.items:
        upload.discard()
        issues.raise_if_any()
    try:
        with transaction.atomic():
            version = locked(ApplicationVersion, version_id, "application version")
            permissions.require(actor, "artifact.upload", version)
            artifact = Artifact.objects.create(
                version=version,
                platform=platform,
                format=artifact_format,
                filename=filename[:255],
                size=upload.size,
                sha256=upload.hexdigest,
                uploaded_by=user_of(actor),
            )
            # Blob first: if the commit then fails, an unreferenced blob is harmless; the reverse is not.
            upload.commit()
            audit.record(
                actor=actor,
                action="artifact.registered",
                subject_type="artifact",
                subject_id=artifact.pk,
                after=artifact.snapshot(),
            )
    except IntegrityError:
        upload.discard()
        raise Conflict("This exact file is already registered for this version.") from None
    except Exception:
        upload.discard()
        raise
    return artifact
