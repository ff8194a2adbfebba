"""Scoped reads of the site registry and of bundles, and the site counts a ring's gates take in."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from fleetgate.core.actors import Actor
from fleetgate.core.scoping import INTENT, Fields, scoped
from fleetgate.rollouts.offline import SiteCounts
from fleetgate.sites.models import (
    BundleExport,
    BundleImport,
    DistributionStrategy,
    Site,
    SiteRing,
    SiteRingResult,
    TrustedInstallation,
)

SITE = Fields("boundary")  # a site serves its whole boundary


def sites(actor: Actor | None = None) -> QuerySet[Site]:
    return scoped(actor, Site.objects.all(), SITE)


def strategies() -> QuerySet[DistributionStrategy]:
    return DistributionStrategy.objects.all()


def strategy_for(site_class: str) -> DistributionStrategy:
    row = DistributionStrategy.objects.filter(site_class=site_class).first()
    if row is None:
        raise RuntimeError("No distribution strategies; run `fleetgate migrate` to load the defaults.")
    return row


def trusted_installations() -> QuerySet[TrustedInstallation]:
    return TrustedInstallation.objects.filter(revoked_at__isnull=True)


def trusted_pems() -> list[str]:
    return list(trusted_installations().values_list("public_key_pem", flat=True))


def exports(actor: Actor | None = None) -> QuerySet[BundleExport]:
    return scoped(actor, BundleExport.objects.select_related("site", "intent", "created_by"), INTENT.via("intent"))


def imports(actor: Actor | None = None) -> QuerySet[BundleImport]:
    return scoped(actor, BundleImport.objects.select_related("site", "intent", "imported_by"), INTENT.via("intent"))


def intent_import(intent_id: Any) -> BundleImport | None:
    """At a site: the intent bundle an imported intent came from."""
    return BundleImport.objects.filter(kind="intent", intent_id=intent_id).select_related("site").first()


def site_rings(source: BundleImport) -> QuerySet[SiteRing]:
    return SiteRing.objects.filter(source=source).order_by("position")


def site_counts(*, intent_id: Any, ring: str) -> list[SiteCounts]:
    """The rollouts offline source: each site's latest signed counts for the ring."""
    rows = SiteRingResult.objects.filter(intent_id=intent_id, ring=ring).select_related("site")
    return [
        SiteCounts(
            site=r.site.name,
            site_class=r.site.site_class,
            installed=r.installed,
            failed=r.failed,
            pending=r.pending,
            observed_at=r.observed_at.isoformat(),
        )
        for r in rows
    ]
