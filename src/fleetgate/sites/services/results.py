"""Results bundles: the site signs what its plane observed per ring (`results-export`); central verifies
it against the site's registered key and feeds the counts to the rollout's gates (`results-import`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.core import keys, permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import Conflict
from fleetgate.core.lookups import user_of
from fleetgate.intents.models import DeploymentIntent
from fleetgate.rollouts.services import offline
from fleetgate.sites import bundlefile as bf
from fleetgate.sites import verify
from fleetgate.sites.models import BundleExport, BundleImport, BundleKind, SiteRingResult
from fleetgate.sites.services import local
from fleetgate.sites.services.common import KEY_PURPOSE, BundleRefused, refuse, site_named


def export_results(*, actor: Actor, intent_id: Any, output: Path, now: datetime | None = None) -> BundleExport:
    """At the site: observe every deployed ring, then sign the counts into a results bundle."""
    now = now or timezone.now()
    rows = local.observe(actor=actor, intent_id=intent_id)
    source = rows[0].source if rows else None
    if source is None:
        raise Conflict("No ring of this intent is deployed on this site yet; `fleetgate bundle deploy` it first.")
    intent, site = source.intent, source.site
    results = {
        "rings": {
            r.ring: {**r.counts, "observed_at": r.observed_at.isoformat() if r.observed_at else None, "group": r.group}
            for r in rows
        }
    }
    metadata = {
        "kind": BundleKind.RESULTS.value,
        "bundle_id": str(uuid.uuid4()),
        "created_at": now.isoformat(),
        "answers": str(source.bundle_id),
        "intent": {"id": str(intent.pk), "name": intent.name},
        "site": {"name": site.name, "site_class": site.site_class, "boundary": site.boundary},
    }
    signer = keys.load_or_create(KEY_PURPOSE)
    entries = [bf.Entry("results.json", "results", data=bf.canonical(results))]
    manifest, digest = bf.write(output, metadata, entries, signer.private, signer.key_id)
    with transaction.atomic():
        row = BundleExport.objects.create(
            id=manifest["bundle_id"],
            kind=BundleKind.RESULTS,
            intent=intent,
            site=site,
            manifest_sha256=digest,
            key_id=signer.key_id,
            size=output.stat().st_size,
            filename=output.name,
            summary=results,
            created_by=user_of(actor),
        )
        audit.record(
            actor=actor,
            action="bundle.results_exported",
            subject_type="intent",
            subject_id=intent.pk,
            after={**row.snapshot(), "rings": results["rings"]},
        )
    return row


def import_results(*, actor: Actor, path: Path) -> BundleImport:
    """At central: verify against the site's registered key, then count the results in the ring's gates."""
    with bf.open_bundle(path) as bundle:
        claimed = bundle.json(bf.MANIFEST) if bf.MANIFEST in bundle.members else {}
    site_name = str((claimed.get("site") or {}).get("name", "")) if isinstance(claimed, dict) else ""
    site = site_named(site_name)
    if not site.public_key_pem:
        raise BundleRefused(f"Site {site.name} has no registered bundle key.", check="manifest-signature")
    report = verify.verify(path, [site.public_key_pem], kind="results", site=site.name)
    if not report.ok:
        raise refuse(actor, report, "results", path.name)
    manifest = report.manifest
    with bf.open_bundle(path) as bundle:
        rings = bundle.json("results.json")["rings"]
    with transaction.atomic():
        intent = DeploymentIntent.objects.filter(pk=manifest["intent"]["id"]).first()
        answer = _uuid(manifest.get("answers"))
        answered = (
            answer is not None
            and BundleExport.objects.filter(pk=answer, kind=BundleKind.INTENT, site=site, intent=intent).exists()
        )
        if intent is None or not answered:
            raise BundleRefused(
                f"These results answer bundle {manifest.get('answers')}, which was not exported from here "
                f"to {site.name}.",
                check="results",
            )
        permissions.require(actor, "bundle.results_import", intent)
        if BundleImport.objects.filter(kind=BundleKind.RESULTS, bundle_id=manifest["bundle_id"]).exists():
            raise Conflict(f"Results bundle {manifest['bundle_id']} was imported already.")
        row = BundleImport.objects.create(
            kind=BundleKind.RESULTS,
            bundle_id=manifest["bundle_id"],
            intent=intent,
            site=site,
            manifest_sha256=report.manifest_sha256,
            signer_key_id=report.key_id,
            checks=[c.as_dict() for c in report.checks],
            rings=rings,
            imported_by=user_of(actor),
        )
        offline.site_results_recorded(actor=actor, intent_id=intent.pk, site=site.name, rings=rings)
        for ring, counts in rings.items():
            observed = counts.get("observed_at") or manifest["created_at"]
            SiteRingResult.objects.update_or_create(
                site=site,
                intent=intent,
                ring=ring,
                defaults={
                    **{
                        k: int(counts.get(k) or 0)
                        for k in ("installed", "failed", "pending", "not_applicable", "total")
                    },
                    "observed_at": datetime.fromisoformat(observed),
                    "source": row,
                },
            )
        audit.record(
            actor=actor,
            action="bundle.results_imported",
            subject_type="intent",
            subject_id=intent.pk,
            after={**row.snapshot(), "rings": rings},
        )
    return row


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
