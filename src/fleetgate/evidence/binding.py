"""Reading an evidence document and tying it to an artifact: schema and shape first (no database),
then digest binding and signature verification against the registered keys. No writes here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fleetgate.catalog.models import Artifact
from fleetgate.core.errors import EvidenceMismatch, FieldIssue
from fleetgate.evidence import facts, provenance, queries, sbom, scans, signatures
from fleetgate.evidence.documents import Kind, Parsed


def parse_offline(kind: Kind, raw: bytes, filename: str) -> Any:
    """The part of parsing that needs neither the artifact nor the keys (schema, shape)."""
    if kind == Kind.SBOM:
        return sbom.parse(raw, filename)
    if kind == Kind.VULNERABILITY_SCAN:
        return scans.parse(raw, filename)
    if kind == Kind.MALWARE_SCAN:
        return scans.parse_malware(raw, filename)
    if kind == Kind.SIGNATURE:
        return signatures.parse(raw, filename)
    if kind == Kind.PROVENANCE:
        return provenance.parse(raw, filename)
    return facts.parse(kind, raw, filename)


def mismatch(filename: str, path: str, rule: str, message: str) -> EvidenceMismatch:
    return EvidenceMismatch(message, errors=[FieldIssue(f"{filename}:{path}", rule, message)], file=filename)


def bind(kind: Kind, parsed: Any, artifact: Artifact, filename: str, at: datetime, *, declared: bool = False) -> Parsed:
    """Tie the document to this artifact; verify signatures. Raises EvidenceMismatch or CheckFailed.

    declared: the packager binds a scan that names no digest (`trivy fs`, `grype dir:`) to this
    artifact itself; recorded as binding "declared" in the evidence and the sealed pack."""
    digest = artifact.sha256
    if kind == Kind.SBOM and parsed.digests and digest not in parsed.digests:
        raise mismatch(
            filename,
            "$.metadata.component.hashes" if parsed.format.startswith("cyclonedx") else "$.packages",
            "subject-digest",
            f"The SBOM describes {', '.join(sorted(parsed.digests))}, not this artifact ({digest}).",
        )
    if kind == Kind.VULNERABILITY_SCAN:
        bind_scan(parsed, artifact, filename, declared=declared)
    if kind == Kind.MALWARE_SCAN and digest not in parsed.digests:
        raise mismatch(
            filename,
            "$.target_sha256",
            "target-digest",
            f"The malware scan is for {next(iter(parsed.digests))}, not this artifact ({digest}).",
        )
    if kind == Kind.SIGNATURE:
        if isinstance(parsed, signatures.Detached):
            return signatures.verify_detached(parsed, digest, queries.trusted_values(), at)
        return signatures.declared(parsed)
    if kind == Kind.PROVENANCE:
        envelope, statement, body = parsed
        if digest not in provenance.subject_digests(statement):
            raise mismatch(
                filename,
                "$.payload:$.subject",
                "subject-digest",
                f"The provenance subject is not this artifact ({digest}).",
            )
        return provenance.verify(envelope, statement, body, queries.trusted_values(), at)
    return parsed  # type: ignore[no-any-return]


def bind_scan(parsed: Parsed, artifact: Artifact, filename: str, *, declared: bool) -> None:
    """A scan names the artifact or its current SBOM by digest, or is bound by the packager's declaration."""
    digest = artifact.sha256
    allowed = {digest} | {i.sha256 for i in queries.current_of(artifact.pk, Kind.SBOM)}
    if parsed.digests and not parsed.digests & allowed:
        raise mismatch(
            filename,
            "$",
            "target-digest",
            f"The report scanned {', '.join(sorted(parsed.digests))}: "
            f"neither this artifact ({digest}) nor its current SBOM.",
        )
    if parsed.digests:
        parsed.summary["binding"] = "digest"
    elif declared:
        parsed.summary["binding"] = "declared"
        parsed.summary["bound_to"] = digest
    else:
        raise mismatch(
            filename,
            "$",
            "target-digest-missing",
            "The report names no target digest; scan the artifact (or its registered SBOM) by digest, or bind "
            'it to this artifact yourself with binding "declared" (`fleetgate evidence add --declare-binding`).',
        )
