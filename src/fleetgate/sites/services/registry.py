"""Writes to the site registry, the distribution strategies and the trusted installations."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.core import permissions
from fleetgate.core.actors import SYSTEM, Actor
from fleetgate.core.errors import Conflict, PreconditionFailed
from fleetgate.core.lookups import locked, user_of
from fleetgate.core.roles import SiteClass
from fleetgate.core.validation import Issues, check_choice
from fleetgate.evidence.crypto import CheckFailed
from fleetgate.intents.specs import PLANE_KINDS, SLUG
from fleetgate.sites import verify
from fleetgate.sites.models import Distribution, DistributionStrategy, Site, TrustedInstallation

POLICY_FILE = "site-distribution-v1.json"
SITE_FIELDS = ("title", "site_class", "boundary", "plane", "connector_name", "time_zone", "public_key_pem", "active")
MAX_SNAPSHOT_DAYS = 90


def policy_document() -> dict[str, Any]:
    return dict(json.loads(resources.files("fleetgate.policy").joinpath(POLICY_FILE).read_text()))


def load_default_strategies() -> None:
    """Load the embedded strategy per site class once; later edits are policy changes in the ledger."""
    document = policy_document()
    with transaction.atomic():
        for site_class, values in document["classes"].items():
            if DistributionStrategy.objects.filter(site_class=site_class).exists():
                continue
            row = DistributionStrategy.objects.create(
                site_class=site_class,
                distribution=values["distribution"],
                results=values["results"],
                vuln_snapshot_max_age_days=values["vuln_snapshot_max_age_days"],
                notes=values.get("notes", ""),
                policy_version=document["version"],
            )
            audit.record(
                actor=SYSTEM,
                action="distribution_strategy.loaded",
                subject_type="distribution_strategy",
                subject_id=site_class,
                after=row.snapshot(),
            )


def _validate_site(data: dict[str, Any], issues: Issues) -> None:
    if not SLUG.match(str(data.get("name", ""))):
        issues.add("name", "slug", "Use lowercase letters, digits and hyphens, e.g. vault-north.")
    check_choice(issues, "site_class", data.get("site_class"), SiteClass.values)
    if not str(data.get("boundary", "")).strip():
        issues.add("boundary", "required", "Name the acquisition boundary the site belongs to.")
    check_choice(issues, "plane", data.get("plane"), PLANE_KINDS)
    try:
        ZoneInfo(str(data.get("time_zone") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        issues.add("time_zone", "time-zone", "Use an IANA time zone name, e.g. Europe/Berlin.")
    pem = str(data.get("public_key_pem") or "")
    if pem:
        try:
            verify.key_id_of_pem(pem)
        except CheckFailed as exc:
            issues.add("public_key_pem", "ed25519-key", f"Give the site installation's Ed25519 bundle key ({exc}).")
    elif data.get("site_class") == SiteClass.AIR_GAPPED:
        issues.add(
            "public_key_pem",
            "required",
            "An air-gapped site returns signed results: give its installation's Ed25519 bundle key "
            "(the public key in PEM, from the site's Platform Admin).",
        )


def _key_fields(site: Site) -> None:
    site.key_id = verify.key_id_of_pem(site.public_key_pem) if site.public_key_pem else ""


def create_site(*, actor: Actor, data: dict[str, Any]) -> Site:
    issues = Issues()
    _validate_site(data, issues)
    issues.raise_if_any("The site is not valid; fix the listed fields.")
    with transaction.atomic():
        site = Site(name=data["name"], **{k: data[k] for k in SITE_FIELDS if k in data})
        permissions.require(actor, "site.manage", site)
        if Site.objects.filter(name=site.name).exists():
            raise Conflict(f"A site named '{site.name}' exists; pick another name or update it.")
        _key_fields(site)
        site.save()
        audit.record(actor=actor, action="site.created", subject_type="site", subject_id=site.pk, after=site.snapshot())
    return site


def update_site(*, actor: Actor, site_id: Any, changes: dict[str, Any], expected_etag: str | None = None) -> Site:
    with transaction.atomic():
        site = locked(Site, site_id, "site")
        permissions.require(actor, "site.manage", site)
        if expected_etag is not None and expected_etag.removeprefix("W/") != site.etag:
            raise PreconditionFailed("The site changed since you read it; fetch it again.", current_etag=site.etag)
        before = site.snapshot()
        merged = {"name": site.name, **{k: getattr(site, k) for k in SITE_FIELDS}}
        merged.update({k: v for k, v in changes.items() if k in SITE_FIELDS})
        issues = Issues()
        _validate_site(merged, issues)
        issues.raise_if_any("The site is not valid; fix the listed fields.")
        for key in SITE_FIELDS:
            setattr(site, key, merged[key])
        permissions.require(actor, "site.manage", site)
        _key_fields(site)
        site.revision += 1
        site.updated_at = timezone.now()
        site.save()
        audit.record(
            actor=actor,
            action="site.updated",
            subject_type="site",
            subject_id=site.pk,
            before=before,
            after=site.snapshot(),
        )
    return site


def update_strategy(*, actor: Actor, site_class: str, changes: dict[str, Any], reason: str) -> DistributionStrategy:
    issues = Issues()
    if "distribution" in changes:
        check_choice(issues, "distribution", changes["distribution"], Distribution.values)
    days = changes.get("vuln_snapshot_max_age_days")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_SNAPSHOT_DAYS):
        issues.add("vuln_snapshot_max_age_days", "range", f"A snapshot may be 1..{MAX_SNAPSHOT_DAYS} days old.")
    if not reason.strip():
        issues.add("reason", "required", "Say why the policy changes.")
    issues.raise_if_any()
    with transaction.atomic():
        permissions.require(actor, "site.strategy")
        row = DistributionStrategy.objects.select_for_update().filter(site_class=site_class).first()
        if row is None:
            issues.add("site_class", "choice", f"Use one of: {', '.join(SiteClass.values)}.")
            issues.raise_if_any()
        assert row is not None
        before = row.snapshot()
        for key in ("distribution", "results", "vuln_snapshot_max_age_days", "notes"):
            if key in changes:
                setattr(row, key, changes[key])
        row.updated_at = timezone.now()
        row.save()
        audit.record(
            actor=actor,
            action="distribution_strategy.updated",
            subject_type="distribution_strategy",
            subject_id=site_class,
            before=before,
            after=row.snapshot(),
            reason=reason,
        )
    return row


def trust_installation(*, actor: Actor, name: str, public_key_pem: str) -> TrustedInstallation:
    """Trust another installation's bundle key (at a site: the central Fleetgate's, got over a trusted channel)."""
    issues = Issues()
    if not str(name).strip():
        issues.add("name", "required", "Name the installation, e.g. central.")
    key_id = ""
    try:
        key_id = verify.key_id_of_pem(public_key_pem)
    except CheckFailed as exc:
        issues.add("public_key_pem", "ed25519-key", f"Give the installation's Ed25519 bundle key in PEM ({exc}).")
    issues.raise_if_any()
    with transaction.atomic():
        permissions.require(actor, "bundle.trust")
        row = TrustedInstallation.objects.select_for_update().filter(key_id=key_id).first()
        if row is not None and row.revoked_at is None:
            raise Conflict(f"Key {key_id} is trusted already (as '{row.name}').")
        if row is None:
            row = TrustedInstallation(key_id=key_id)
        row.name, row.public_key_pem, row.revoked_at = name.strip(), public_key_pem, None
        row.added_by, row.added_at = user_of(actor), timezone.now()
        row.save()
        audit.record(
            actor=actor,
            action="bundle_key.trusted",
            subject_type="trusted_installation",
            subject_id=key_id,
            after=row.snapshot(),
            severity="warning",
        )
    return row


def revoke_trust(*, actor: Actor, key_id: str, reason: str) -> TrustedInstallation:
    with transaction.atomic():
        permissions.require(actor, "bundle.trust")
        row = locked(TrustedInstallation, key_id, "trusted installation key")
        if row.revoked_at is not None:
            raise Conflict(f"Key {key_id} was revoked already.")
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            action="bundle_key.revoked",
            subject_type="trusted_installation",
            subject_id=key_id,
            after=row.snapshot(),
            reason=reason,
            severity="warning",
        )
    return row
