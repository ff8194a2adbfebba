"""`bundle export`: one signed offline bundle of an approved intent for one site — its artifacts, sealed
evidence packs, approval record (CAB decisions, exceptions), ring policy and rubric versions, the keys,
the ledger slice proving them, and a dated vulnerability-database snapshot under the freshness policy."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from fleetgate.approvals.models import CabRequest, PolicyException
from fleetgate.approvals.states import ExceptionState
from fleetgate.audit import services as audit
from fleetgate.audit.models import LedgerEvent, LedgerHead
from fleetgate.catalog import store
from fleetgate.core import keys, permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import Conflict, NotFound
from fleetgate.core.lookups import user_of
from fleetgate.evidence.assemble import stored_digest_ok
from fleetgate.evidence.models import EvidencePack, SealKey
from fleetgate.intents.models import DeploymentIntent
from fleetgate.risk.models import RiskModel
from fleetgate.rollouts.routing import packed_artifacts
from fleetgate.sites import bundlefile as bf
from fleetgate.sites import queries, verify
from fleetgate.sites.approvals_check import APPROVED_STATES
from fleetgate.sites.models import BUNDLE_DISTRIBUTIONS, BundleExport, BundleKind, Site
from fleetgate.sites.services.common import KEY_PURPOSE, BundleRefused, site_named

SUBJECT = "intent"


def export_bundle(
    *,
    actor: Actor,
    intent_id: Any,
    site_name: str,
    output: Path,
    vuln_db: Path | None = None,
    vuln_db_date: datetime | None = None,
    now: datetime | None = None,
    progress: bf.Progress | None = None,
) -> BundleExport:
    now = now or timezone.now()
    intent = (
        DeploymentIntent.objects.select_related("application", "version", "ring_policy").filter(pk=intent_id).first()
    )
    if intent is None:
        raise NotFound(f"No intent {intent_id}; `fleetgate intent list` shows them.")
    site = site_named(site_name)
    permissions.require(actor, "bundle.export", intent)
    _check_destination(intent, site)
    packs = packed_artifacts(intent)
    for pack in packs:
        if not stored_digest_ok(pack.artifact):
            raise Conflict(f"The stored bytes of artifact {pack.artifact.filename} no longer hash to its digest.")
    record = approval_record(intent, packs)
    snapshot = _snapshot(intent, site, packs, vuln_db, vuln_db_date, now)
    entries, metadata = _contents(intent, site, packs, record, snapshot, vuln_db, now)
    signer = keys.load_or_create(KEY_PURPOSE)
    manifest, digest = bf.write(output, metadata, entries, signer.private, signer.key_id, progress)
    with transaction.atomic():
        row = BundleExport.objects.create(
            id=manifest["bundle_id"],
            kind=BundleKind.INTENT,
            intent=intent,
            site=site,
            manifest_sha256=digest,
            key_id=signer.key_id,
            size=output.stat().st_size,
            filename=output.name,
            vuln_snapshot_date=datetime.fromisoformat(snapshot["date"]),
            stale_exception=snapshot.get("exception") or "",
            summary={"files": len(manifest["files"]), "ledger": manifest["ledger"], "packs": manifest["packs"]},
            created_by=user_of(actor),
        )
        audit.record(
            actor=actor, action="bundle.exported", subject_type=SUBJECT, subject_id=intent.pk, after=row.snapshot()
        )
    return row


def _check_destination(intent: DeploymentIntent, site: Site) -> None:
    strategy = queries.strategy_for(site.site_class)
    problems = []
    if intent.state not in APPROVED_STATES:
        problems.append(f"intent {intent.name} is {intent.state}; only an approved change is shipped")
    if not site.active:
        problems.append(f"site {site.name} is inactive")
    if site.boundary != intent.target_boundary:
        problems.append(f"site {site.name} is in boundary {site.boundary}, the intent targets {intent.target_boundary}")
    if site.site_class not in intent.target_site_classes:
        problems.append(f"the intent does not target {site.site_class} sites ({', '.join(intent.target_site_classes)})")
    if strategy.distribution not in BUNDLE_DISTRIBUTIONS:
        problems.append(f"{site.site_class} sites are served by their connector ({strategy.distribution}), not bundles")
    if problems:
        raise Conflict("Cannot export the bundle: " + "; ".join(problems) + ".", problems=problems)


def approval_record(intent: DeploymentIntent, packs: list[EvidencePack]) -> dict[str, Any]:
    """The CAB requests on the shipped packs with every decision, and the exceptions of the intent and its
    artifacts, as they stand: the verifier holds each against the ledger slice."""
    requests = CabRequest.objects.filter(intent=intent, evidence_pack__in=packs).prefetch_related(
        "decisions__approver", "decisions__revocation"
    )
    exceptions = PolicyException.objects.filter(
        Q(intent=intent) | Q(intent__isnull=True, artifact__in=[p.artifact_id for p in packs])
    ).prefetch_related("approvals__approver", "owner")
    return {
        "intent": {"id": str(intent.pk), "name": intent.name, "state": intent.state},
        "cab_requests": [
            {
                "id": str(r.pk),
                "evidence_pack": str(r.evidence_pack_id),
                "pack_version": r.pack_version,
                "state": r.state,
                "quorum": r.quorum,
                "decisions": [
                    {
                        "id": str(d.pk),
                        "approver": d.approver.get_username(),
                        "kind": d.kind,
                        "reason": d.reason,
                        "conditions": d.conditions,
                        "expires_at": d.expires_at.isoformat() if d.expires_at else None,
                        "revoked": hasattr(d, "revocation"),
                        "created_at": d.created_at.isoformat(),
                    }
                    for d in r.decisions.all()
                ],
            }
            for r in requests
        ],
        "exceptions": [
            {
                "id": str(x.pk),
                **x.snapshot(),
                "compensating_controls": x.compensating_controls,
                "approvals": [
                    {"approver": a.approver.get_username(), "capacity": a.capacity, "at": a.created_at.isoformat()}
                    for a in x.approvals.all()
                ],
            }
            for x in exceptions
        ],
    }


def _scan_date(scan: dict[str, Any]) -> tuple[datetime, str]:
    """A sealed scan's date for freshness, and what it is (`scan-database`, `scan-run`, `scan-evidence`)."""
    summary = scan.get("summary") or {}
    for key, source in (("database_built", "scan-database"), ("scanned_at", "scan-run")):
        if summary.get(key):
            return datetime.fromisoformat(summary[key]), source
    return datetime.fromisoformat(scan["added_at"]), "scan-evidence"


def _snapshot(
    intent: DeploymentIntent,
    site: Site,
    packs: list[EvidencePack],
    vuln_db: Path | None,
    vuln_db_date: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    """The vulnerability snapshot the site gets and its date: an explicit database file, else the scan
    evidence sealed in the packs, dated by the oldest of what each scan says: its database's build time
    (Grype), else when it ran (Trivy's CreatedAt, Grype's timestamp), else when it was recorded here."""
    if vuln_db is not None:
        if vuln_db_date is None:
            raise BundleRefused(
                "Give the vulnerability database's build date (--vuln-db-date).", check="vulnerability-snapshot"
            )
        date, source = vuln_db_date, "file"
    else:
        dated = [
            _scan_date(scan)
            for pack in packs
            for scan in json.loads(pack.sealed_json)["body"]["sections"].get("vulnerability_scan", [])
        ]
        if not dated:
            raise BundleRefused("No vulnerability scan in the packs; pass --vuln-db.", check="vulnerability-snapshot")
        date, source = min(dated)
    date = date if date.tzinfo else date.replace(tzinfo=UTC)
    limit = queries.strategy_for(site.site_class).vuln_snapshot_max_age_days
    snapshot: dict[str, Any] = {"source": source, "date": date.isoformat(), "max_age_days": limit, "exception": None}
    if now - date > timedelta(days=limit):
        subject = verify.STALE_SUBJECT.format(site=site.name)
        covering = PolicyException.objects.filter(
            intent=intent, subject=subject, state=ExceptionState.APPROVED, expires_at__gt=now
        ).first()
        if covering is None:
            raise BundleRefused(
                f"The vulnerability snapshot of {date:%Y-%m-%d} is {(now - date).days} days old; {site.site_class} "
                f"sites allow {limit}. Refresh the database (--vuln-db), or have a Security Reviewer approve a scope "
                f"exception '{subject}' for this intent.",
                check="vulnerability-snapshot",
            )
        snapshot["exception"] = str(covering.pk)
    return snapshot


def ledger_slice(subject_ids: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every event from the first one about these subjects to the current head: contiguous, so it chains."""
    head = LedgerHead.objects.get(pk=1)
    first = LedgerEvent.objects.filter(subject_id__in=subject_ids).aggregate(first=Min("sequence"))["first"]
    events = LedgerEvent.objects.filter(sequence__gte=first or head.sequence, sequence__lte=head.sequence)
    rows = [e.as_export() for e in events.order_by("sequence").iterator(chunk_size=2000)]
    return rows, {"last_sequence": head.sequence, "last_hash": head.hash}


def _contents(
    intent: DeploymentIntent,
    site: Site,
    packs: list[EvidencePack],
    record: dict[str, Any],
    snapshot: dict[str, Any],
    vuln_db: Path | None,
    now: datetime,
) -> tuple[list[bf.Entry], dict[str, Any]]:
    entries: list[bf.Entry] = []
    artifacts, pack_rows = [], []
    for pack in packs:
        artifact = pack.artifact
        path = f"artifacts/{artifact.sha256}/{artifact.filename}"
        entries.append(bf.Entry(path, "artifact", source=store.path_for(artifact.sha256)))
        artifacts.append({"id": str(artifact.pk), "path": path, "sha256": artifact.sha256, **artifact.snapshot()})
        pack_path = f"evidence/pack-{artifact.pk}-v{pack.version}.json"
        entries.append(bf.Entry(pack_path, "evidence_pack", data=pack.sealed_json.encode()))
        pack_rows.append(
            {
                "id": str(pack.pk),
                "path": pack_path,
                "version": pack.version,
                "sha256": pack.sha256,
                "artifact": str(artifact.pk),
                "artifact_sha256": artifact.sha256,
            }
        )
    entries.append(bf.Entry("approvals.json", "approvals", data=bf.canonical(record)))
    bodies = [json.loads(p.sealed_json)["body"] for p in packs]
    rubric_version = next((b["risk"]["rubric_version"] for b in bodies if b.get("risk")), "")
    rubric = RiskModel.objects.filter(version=rubric_version).first()
    strategies = {s.site_class: s.snapshot() for s in queries.strategies()}
    documents = {
        "ring_policy": intent.ring_policy.document,
        "risk_rubric": rubric.document if rubric else {},
        "distribution_policy": {"version": next(iter(strategies.values()))["policy_version"], "classes": strategies},
    }
    versions = {}
    for name, document in documents.items():
        path = f"policy/{name.replace('_', '-')}.json"
        entries.append(bf.Entry(path, "policy", data=bf.canonical(document)))
        versions[name] = {
            "version": str(document.get("version", "")),
            "sha256": bf.sha256_hex(bf.canonical(document)),
            "path": path,
        }
    evidence_keys = []
    for key in SealKey.objects.filter(key_id__in={p.key_id for p in packs}).order_by("key_id"):
        path = f"keys/evidence-{key.key_id}.pem"
        entries.append(bf.Entry(path, "key", data=key.public_pem.encode()))
        evidence_keys.append(path)
    signer = keys.load_or_create(KEY_PURPOSE)
    entries.append(bf.Entry(f"keys/bundle-{signer.key_id}.pem", "key", data=signer.public_pem().encode()))
    subjects = [str(intent.pk), *(str(p.pk) for p in packs), *(r["id"] for r in record["cab_requests"])]
    subjects += [x["id"] for x in record["exceptions"]]
    events, head = ledger_slice(subjects)
    lines = "".join(json.dumps(e, sort_keys=True, separators=(",", ":")) + "\n" for e in events)
    entries.append(bf.Entry("ledger/slice.jsonl", "ledger_slice", data=lines.encode()))
    if vuln_db is not None:
        snapshot["path"] = f"vuln/{vuln_db.name}"
        entries.append(bf.Entry(snapshot["path"], "vuln_snapshot", source=vuln_db))
    metadata = {
        "kind": BundleKind.INTENT.value,
        "bundle_id": str(uuid.uuid4()),
        "created_at": now.isoformat(),
        "intent": {
            "id": str(intent.pk),
            **intent.snapshot(),
            "application_snapshot": intent.application.snapshot(),
            "submitted_at": intent.submitted_at.isoformat() if intent.submitted_at else None,
        },
        "site": {
            "name": site.name,
            "site_class": site.site_class,
            "boundary": site.boundary,
            "time_zone": site.time_zone,
        },
        "artifacts": artifacts,
        "packs": pack_rows,
        "versions": versions,
        "vulnerability_snapshot": snapshot,
        "keys": {"bundle": signer.key_id, "evidence": evidence_keys},
        "ledger": {"path": "ledger/slice.jsonl", "first_sequence": events[0]["sequence"] if events else None, **head},
    }
    return entries, metadata
