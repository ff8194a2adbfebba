"""Every write to evidence: ingestion, trusted keys, seal key rotation, sealing and verification failures."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.catalog.models import Artifact
from fleetgate.catalog.store import HashedTempFile
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import (
    Conflict,
    EvidenceIncomplete,
    FieldIssue,
    NotFound,
    PayloadTooLarge,
    SignatureInvalid,
    ValidationFailed,
)
from fleetgate.core.lookups import locked, user_of
from fleetgate.evidence import (
    assemble,
    completeness,
    crypto,
    keyring,
)
from fleetgate.evidence import (
    binding as binder,
)
from fleetgate.evidence import seal as sealing
from fleetgate.evidence import verify as verifier
from fleetgate.evidence.crypto import CheckFailed
from fleetgate.evidence.documents import Kind, Parsed, Status
from fleetgate.evidence.models import EvidenceItem, EvidencePack, SbomComponent, SealKey, TrustedKey
from fleetgate.intents.models import DeploymentIntent

MAX_EVIDENCE_BYTES = 64 * 1024 * 1024  # fixed; FLEETGATE_MAX_UPLOAD_BYTES (settings) can only lower it
BINDINGS = ("digest", "declared")
DERIVED_SLOT = "sbom"  # a vulnerability scan read from the current SBOM, beside the scan of the artifact


def too_large(limit: int) -> PayloadTooLarge:
    """The 413 for evidence names the cap that applies; no setting raises it past 64 MiB."""
    return PayloadTooLarge(
        f"Evidence files are limited to {limit} bytes: a fixed cap of {MAX_EVIDENCE_BYTES} bytes, lowered only "
        "by FLEETGATE_MAX_UPLOAD_BYTES. Attach a smaller document (e.g. one report per target).",
        limit=limit,
    )


uuid0 = UUID(int=0)


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def _read(upload: HashedTempFile) -> bytes:
    upload.close()
    if upload.size > MAX_EVIDENCE_BYTES:
        upload.discard()
        raise too_large(MAX_EVIDENCE_BYTES)
    return upload.path.read_bytes()


def add_evidence(
    *,
    actor: Actor,
    artifact_id: UUID | str,
    kind: str,
    filename: str,
    upload: HashedTempFile,
    binding: str = "digest",
) -> EvidenceItem:
    """Validate, bind to the artifact and record one evidence document. A failed signature check is
    itself recorded (one ledger event) and then refused. binding="declared": the packager binds a
    vulnerability scan that names no digest (trivy fs, grype dir:) to this artifact."""
    try:
        kind_ = Kind(kind)
    except ValueError:
        upload.discard()
        raise ValidationFailed(
            "Unknown evidence kind.", errors=[FieldIssue("kind", "choice", f"Use one of: {', '.join(Kind)}.")]
        ) from None
    if binding not in BINDINGS or (binding == "declared" and kind_ != Kind.VULNERABILITY_SCAN):
        upload.discard()
        raise ValidationFailed(
            "Only a vulnerability scan can be bound to the artifact by declaration.",
            errors=[
                FieldIssue("binding", "declared-scan-only", 'Use "digest", or "declared" with vulnerability_scan.')
            ],
        )
    artifact = Artifact.objects.select_related("version__application").filter(pk=_uuid(artifact_id) or uuid0).first()
    if artifact is None:
        upload.discard()
        raise NotFound(f"No artifact with id {artifact_id}; list artifacts to find it.")
    try:
        permissions.require(actor, "evidence.add", artifact)  # before the (possibly long) parse
        raw = _read(upload)
        parsed = binder.parse_offline(kind_, raw, filename)
    except Exception:
        upload.discard()
        raise
    failure: SignatureInvalid | None = None
    try:
        with transaction.atomic():
            artifact = locked(Artifact, artifact.pk, "artifact")
            permissions.require(actor, "evidence.add", artifact)
            now = timezone.now()
            try:
                result = binder.bind(kind_, parsed, artifact, filename, now, declared=binding == "declared")
                _no_downgrade(artifact, result)
            except CheckFailed as exc:
                failure = _record_failure(actor, artifact, kind_, filename, upload.hexdigest, exc)
            else:
                item = _store(actor, artifact, result, filename, upload)
    except Exception:
        upload.discard()
        raise
    if failure is not None:
        upload.discard()
        raise failure
    return item


def _record_failure(
    actor: Actor, artifact: Artifact, kind: Kind, filename: str, sha256: str, exc: CheckFailed
) -> SignatureInvalid:
    audit.record(
        actor=actor,
        action="evidence.verification_failed",
        subject_type="artifact",
        subject_id=artifact.pk,
        after={"kind": kind, "filename": filename, "sha256": sha256, "check": exc.check, "message": exc.message},
        severity="warning",
    )
    return SignatureInvalid(
        f"{filename}: {exc.message}",
        errors=[FieldIssue(f"{filename}:{exc.path or '$'}", exc.check, exc.message)],
        file=filename,
        check=exc.check,
    )


def _no_downgrade(artifact: Artifact, parsed: Parsed) -> None:
    """Provenance Fleetgate could not verify never replaces provenance it verified."""
    if parsed.kind == Kind.PROVENANCE and parsed.status != Status.VERIFIED:
        current = EvidenceItem.objects.filter(artifact=artifact, kind=Kind.PROVENANCE, current=True)
        if current.filter(status=Status.VERIFIED).exists():
            raise CheckFailed(
                "provenance-downgrade",
                "No registered key verifies this envelope, and verified provenance is attached already: "
                "unverifiable provenance never replaces verified provenance.",
                "$.signatures",
            )


def _store(
    actor: Actor, artifact: Artifact, parsed: Parsed, filename: str, upload: HashedTempFile, slot: str = ""
) -> EvidenceItem:
    slot = parsed.format if parsed.kind == Kind.SIGNATURE else slot
    current = EvidenceItem.objects.filter(artifact=artifact, current=True)
    stale = current.filter(kind=parsed.kind, slot=slot)
    if parsed.kind == Kind.SBOM:  # the findings read from the replaced SBOM go with it
        stale = stale | current.filter(kind=Kind.VULNERABILITY_SCAN, slot=DERIVED_SLOT)
    replaced = list(stale.values_list("pk", flat=True))
    EvidenceItem.objects.filter(pk__in=replaced).update(current=False)
    item = EvidenceItem.objects.create(
        artifact=artifact,
        kind=parsed.kind,
        slot=slot,
        format=parsed.format,
        status=parsed.status,
        filename=filename[:255],
        sha256=upload.hexdigest,
        size=upload.size,
        summary=parsed.summary,
        created_by=user_of(actor),
    )
    SbomComponent.objects.bulk_create(
        [
            SbomComponent(
                evidence=item,
                artifact=artifact,
                name=c.name[:255],
                version=c.version[:128],
                purl=c.purl[:512],
                licenses=list(c.licenses),
                hashes=[list(h) for h in c.hashes],
            )
            for c in parsed.components
        ],
        batch_size=1000,
    )
    upload.commit()
    audit.record(
        actor=actor,
        action="evidence.added",
        subject_type="evidence",
        subject_id=item.pk,
        after={**item.snapshot(), "replaces": [str(pk) for pk in replaced]},
    )
    for derived in parsed.derived:  # CycloneDX vulnerabilities in an SBOM: a scan of that SBOM document
        derived.summary.update(target_digests=[upload.hexdigest], binding="sbom")
        _store(actor, artifact, derived, filename, upload, slot=DERIVED_SLOT)
    return item


# --- trusted keys and the seal key ----------------------------------------------------------------


def register_key(
    *,
    actor: Actor,
    name: str,
    publisher: str,
    pem: str,
    expires_at: datetime | None = None,
    not_before: datetime | None = None,
) -> TrustedKey:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    issues: list[FieldIssue] = []
    if not name.strip() or not publisher.strip():
        issues.append(
            FieldIssue("name" if not name.strip() else "publisher", "required", "Name the key and its publisher.")
        )
    try:
        if "BEGIN CERTIFICATE" in pem:
            cert = x509.load_pem_x509_certificate(pem.encode())
            kind, key = "x509_root", cert.public_key()
            key_id = cert.fingerprint(hashes.SHA256()).hex()[:32]
        else:
            kind, key = "public_key", crypto.load_public_pem(pem)
            key_id = crypto.fingerprint(key)[:32]
        algorithm = crypto.algorithm_of(key)
    except CheckFailed as exc:
        issues.append(FieldIssue("pem", exc.check, exc.message))
    except ValueError as exc:
        issues.append(FieldIssue("pem", "certificate-format", f"Not a PEM certificate or public key ({exc})."))
    if expires_at and expires_at <= (not_before or timezone.now()):
        issues.append(FieldIssue("expires_at", "after-not-before", "expires_at must be later than not_before."))
    if issues:
        raise ValidationFailed("The key cannot be registered.", errors=issues)
    with transaction.atomic():
        permissions.require(actor, "signing_key.manage")
        if TrustedKey.objects.filter(pk=key_id).exists():
            raise Conflict(f"Key {key_id} is registered already.")
        row = TrustedKey.objects.create(
            key_id=key_id,
            name=name,
            publisher=publisher,
            kind=kind,
            algorithm=algorithm,
            pem=pem.strip() + "\n",
            not_before=not_before or timezone.now(),
            expires_at=expires_at,
            created_by=user_of(actor),
        )
        audit.record(
            actor=actor,
            action="signing_key.registered",
            subject_type="signing_key",
            subject_id=key_id,
            after=row.snapshot(),
        )
    return row


def revoke_key(*, actor: Actor, key_id: str, reason: str = "") -> TrustedKey:
    with transaction.atomic():
        row = locked(TrustedKey, key_id, "trusted key")
        permissions.require(actor, "signing_key.manage")
        if row.revoked_at:
            raise Conflict(f"Key {key_id} was revoked already.")
        before = row.snapshot()
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            action="signing_key.revoked",
            subject_type="signing_key",
            subject_id=key_id,
            before=before,
            after=row.snapshot(),
            reason=reason,
        )
    return row


def _ensure_seal_key() -> tuple[Any, SealKey]:
    key = keyring.current()
    row, _ = SealKey.objects.get_or_create(key_id=key.key_id, defaults={"public_pem": key.public_pem()})
    return key, row


def rotate_seal_key(*, actor: Actor, reason: str = "") -> SealKey:
    with transaction.atomic():
        permissions.require(actor, "signing_key.manage")
        _, old = _ensure_seal_key()
        old = locked(SealKey, old.pk, "seal key")
        new_key, pending = keyring.prepare_rotation()
        old.retired_at = timezone.now()
        old.save(update_fields=["retired_at"])
        row = SealKey.objects.create(key_id=new_key.key_id, public_pem=new_key.public_pem())
        audit.record(
            actor=actor,
            action="evidence_key.rotated",
            subject_type="evidence_key",
            subject_id=row.key_id,
            before={"key_id": old.key_id},
            after={"key_id": row.key_id},
            reason=reason,
        )
        transaction.on_commit(lambda: keyring.activate(pending))
    return row


# --- packs ----------------------------------------------------------------------------------------


def seal_pack(*, actor: Actor, intent_id: UUID | str, artifact_id: UUID | str) -> EvidencePack:
    """Seal version N+1 of the pack for (intent, artifact), or refuse with every gap listed."""
    with transaction.atomic():
        intent = locked(DeploymentIntent, intent_id, "intent")
        artifact = locked(Artifact, artifact_id, "artifact")
        permissions.require(actor, "evidence.seal", artifact)
        if artifact.version_id != intent.version_id:
            raise ValidationFailed(
                "The artifact is not of the intent's version.",
                errors=[
                    FieldIssue(
                        "artifact",
                        "intent-version",
                        f"Intent {intent.name} deploys version {intent.version.version}; pick one of its artifacts.",
                    )
                ],
            )
        previous = EvidencePack.objects.filter(intent=intent, artifact=artifact).order_by("-version").first()
        now = timezone.now()
        body = assemble.body(
            intent=intent,
            artifact=artifact,
            actor=actor,
            at=now,
            version=(previous.version + 1) if previous else 1,
            previous=previous,
        )
        gaps = completeness.check(body, artifact_digest_ok=assemble.stored_digest_ok(artifact))
        if gaps:
            raise EvidenceIncomplete(
                f"{len(gaps)} completeness check(s) failed; fix every listed gap, then seal again.",
                errors=[g.as_issue() for g in gaps],
                failed_checks=sorted({g.check for g in gaps}),
            )
        if previous and assemble.comparable(json.loads(previous.sealed_json)["body"]) == assemble.comparable(body):
            raise Conflict(
                f"Pack version {previous.version} already seals exactly this evidence.", pack=str(previous.pk)
            )
        key, _ = _ensure_seal_key()
        text, digest = sealing.seal(body, key.private, key.key_id)
        pack = EvidencePack.objects.create(
            intent=intent,
            artifact=artifact,
            version=body["version"],
            sha256=digest,
            key_id=key.key_id,
            sealed_json=text,
            supersedes=previous,
            sealed_by=user_of(actor),
            sealed_at=now,
        )
        audit.record(
            actor=actor,
            action="evidence_pack.sealed",
            subject_type="evidence_pack",
            subject_id=pack.pk,
            # Approvals that referenced version N are void once N+1 exists; approvals arrive with their issue.
            after={**pack.snapshot(), "voids_approvals_of": str(previous.pk) if previous else None},
        )
    return pack


def verify_pack(*, actor: Actor, pack_id: UUID | str) -> verifier.Report:
    """Verify a stored pack against every seal key this installation ever had; a failure is a ledger event."""
    with transaction.atomic():
        pack = locked(EvidencePack, pack_id, "evidence pack")
        # A pack belongs to its intent: whoever reads the intent may check its seal (not the wider application).
        permissions.require(actor, "evidence.verify", pack.intent)
        pins = list(SealKey.objects.values_list("public_pem", flat=True))
        report = verifier.verify(pack.sealed_json, pins)
        if report.ok and report.sha256 != pack.sha256:
            report.checks.append(verifier.Check("content-address", False, "The pack differs from the one sealed here."))
        if not report.ok:
            failure = report.first_failure
            audit.record(
                actor=actor,
                action="evidence_pack.verification_failed",
                subject_type="evidence_pack",
                subject_id=pack.pk,
                after={
                    "sha256": pack.sha256,
                    "failed_check": failure.name if failure else None,
                    "report": report.as_dict(),
                },
                severity="warning",
            )
    return report
