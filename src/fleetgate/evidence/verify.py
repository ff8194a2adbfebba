"""Offline verification of a sealed evidence pack: needs the sealed JSON and, to prove who sealed it,
the installation's public key(s). No database, no server, no network. Each check is named."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fleetgate.evidence import completeness, crypto, provenance, safejson, seal
from fleetgate.evidence.crypto import CheckFailed
from fleetgate.evidence.documents import Kind, Status


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "message": self.message}


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    sha256: str = ""
    key_id: str = ""
    pinned: bool = False

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def first_failure(self) -> Check | None:
        return next((c for c in self.checks if not c.ok), None)

    def as_dict(self) -> dict[str, Any]:
        failure = self.first_failure
        return {
            "ok": self.ok,
            "sha256": self.sha256,
            "key_id": self.key_id,
            "pinned": self.pinned,
            "failed_check": failure.name if failure else None,
            "checks": [c.as_dict() for c in self.checks],
        }


class _Stop(Exception):
    pass


PACK_NESTING = 16  # the pack wraps each evidence summary this many levels deep at most
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def verify(sealed: str | bytes, public_keys: Iterable[str] | None = None, artifact_sha256: str | None = None) -> Report:
    """Run every check; structural failures stop early, the rest are all reported.

    public_keys=None trusts the embedded key (integrity only); a list, even empty, pins the signer."""
    report = Report()
    with contextlib.suppress(_Stop):
        _run(report, sealed, None if public_keys is None else list(public_keys), artifact_sha256)
    return report


def _add(report: Report, name: str, ok: bool, message: str, *, fatal: bool = False) -> None:
    report.checks.append(Check(name, ok, message))
    if fatal and not ok:
        raise _Stop


def _guarded(report: Report, name: str, check: Callable[[], None]) -> None:
    """Run one check over untrusted structure: a missing or mistyped member fails *that* check by name."""
    try:
        check()
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        what = f"missing member {exc}" if isinstance(exc, KeyError) else f"{exc.__class__.__name__}: {exc}"
        _add(report, name, False, f"The pack body is malformed for this check ({what}).")


def _run(report: Report, sealed: str | bytes, pins: list[str] | None, artifact_sha256: str | None) -> None:
    try:
        document = safejson.loads(sealed, max_depth=safejson.MAX_DEPTH + PACK_NESTING)
        body, meta = document["body"], document["seal"]
        ok = (
            isinstance(body, dict)
            and isinstance(meta, dict)
            and meta.get("schema") == seal.SCHEMA
            and meta.get("algorithm") == crypto.ED25519
        )
        _add(
            report,
            "format",
            ok,
            f"A {seal.SCHEMA} document sealed with Ed25519." if ok else "Unknown pack schema or seal algorithm.",
            fatal=True,
        )
    except safejson.UnsafeJson as exc:
        _add(report, "format", False, f"Not a sealed evidence pack ({exc}).", fatal=True)
    except (KeyError, TypeError) as exc:
        _add(report, "format", False, f"Not a sealed evidence pack ({exc.__class__.__name__}: {exc}).", fatal=True)
    try:
        digest = hashlib.sha256(seal.canonical(body)).hexdigest()
    except ValueError as exc:  # rfc8785 refuses what it cannot canonicalise
        _add(report, "content-address", False, f"The body cannot be canonicalised ({exc}).", fatal=True)
    report.sha256 = meta.get("sha256", "")
    _add(
        report,
        "content-address",
        digest == meta.get("sha256"),
        "The body hashes to the sealed SHA-256."
        if digest == meta.get("sha256")
        else f"The body hashes to {digest}, not the sealed {meta.get('sha256')}: the pack was changed after sealing.",
        fatal=True,
    )
    key = _seal_key(report, meta, pins)
    try:
        key.verify(base64.b64decode(str(meta["signature"]), validate=True), seal.seal_message(meta["sha256"]))
        _add(report, "seal-signature", True, f"Ed25519 signature by key {report.key_id} is valid.")
    except (ValueError, binascii.Error, Exception) as exc:  # InvalidSignature or bad base64
        _add(
            report,
            "seal-signature",
            False,
            f"The seal signature does not verify with key {report.key_id} ({exc.__class__.__name__}).",
            fatal=True,
        )
    _guarded(report, "artifact-binding", lambda: _bindings(report, body, artifact_sha256))
    _guarded(report, "evidence-signatures", lambda: _signatures(report, body["sections"], body["artifact"]["sha256"]))
    _guarded(report, "completeness", lambda: _completeness(report, body))


def _completeness(report: Report, body: dict[str, Any]) -> None:
    gaps = completeness.check(body)
    _add(
        report,
        "completeness",
        not gaps,
        "Every completeness rule holds." if not gaps else "; ".join(f"{g.check}: {g.message}" for g in gaps),
    )


def _seal_key(report: Report, meta: dict[str, Any], pins: list[str] | None) -> Ed25519PublicKey:
    try:
        key = crypto.load_public_pem(str(meta["public_key"]))
    except (CheckFailed, KeyError) as exc:
        _add(report, "seal-key", False, f"The embedded public key is unusable ({exc}).", fatal=True)
    if not isinstance(key, Ed25519PublicKey) or crypto.ed25519_key_id(key) != meta.get("key_id"):
        _add(report, "seal-key", False, "The embedded public key does not match the sealed key_id.", fatal=True)
    report.key_id = str(meta["key_id"])
    if pins is None:
        _add(
            report,
            "seal-key",
            True,
            "Embedded key used: this proves integrity, not origin. Pass --public-key with the installation's key.",
        )
        return key
    pinned_ids = set()
    for pem in pins:
        try:
            candidate = crypto.load_public_pem(pem)
        except CheckFailed as exc:
            _add(report, "seal-key", False, f"A --public-key is unusable: {exc.message}", fatal=True)
        if isinstance(candidate, Ed25519PublicKey):
            pinned_ids.add(crypto.ed25519_key_id(candidate))
    report.pinned = report.key_id in pinned_ids
    _add(
        report,
        "seal-key",
        report.pinned,
        f"Sealed by pinned key {report.key_id}."
        if report.pinned
        else f"Sealed by key {report.key_id}, none of the given public keys "
        f"({', '.join(sorted(pinned_ids)) or 'none'}): wrong key or forged pack.",
        fatal=True,
    )
    return key


def _bindings(report: Report, body: dict[str, Any], artifact_sha256: str | None) -> None:
    """Every section speaks of this artifact, and its signatures still verify."""
    digest = body["artifact"]["sha256"]
    if not isinstance(digest, str) or not SHA256_HEX.fullmatch(digest):
        raise ValueError("body.artifact.sha256 is not a lower-case SHA-256 digest")
    problems: list[str] = []
    sections = body["sections"]
    sbom_digests = {s["document_sha256"] for s in sections.get(Kind.SBOM, [])}
    for scan in sections.get(Kind.VULNERABILITY_SCAN, []):
        summary = scan["summary"]
        if summary.get("binding") == "declared":
            if summary.get("bound_to") != digest:
                problems.append(f"scan {scan['filename']} was bound by declaration to another artifact")
        elif not set(summary.get("target_digests", [])) & ({digest} | sbom_digests):
            problems.append(f"scan {scan['filename']} names neither the artifact nor its SBOM")
    for scan in sections.get(Kind.MALWARE_SCAN, []):
        if scan["summary"].get("target_sha256") != digest:
            problems.append(f"malware scan {scan['filename']} is for another file")
    if artifact_sha256 is not None and artifact_sha256 != digest:
        problems.append(f"the given artifact file hashes to {artifact_sha256}, the pack is for {digest}")
    _add(
        report,
        "artifact-binding",
        not problems,
        "Every section names this artifact." if not problems else "; ".join(problems),
    )


def _signatures(report: Report, sections: dict[str, Any], digest: str) -> None:
    failures: list[str] = []
    for item in sections.get(Kind.SIGNATURE, []):
        s = item["summary"]
        if item["status"] != Status.VERIFIED:
            continue
        try:
            if s["signed_digest"] != digest:
                raise CheckFailed("signature-binding", "signs another digest")
            key = crypto.load_public_pem(s["public_key"])
            prehashed = s["algorithm"] != crypto.ED25519
            crypto.verify(
                key, s["algorithm"], crypto.b64decode(s["signature"]), bytes.fromhex(digest), prehashed=prehashed
            )
        except (CheckFailed, KeyError, ValueError) as exc:
            failures.append(f"signature {item['filename']}: {exc}")
    for item in sections.get(Kind.PROVENANCE, []):
        s = item["summary"]
        if item["status"] != Status.VERIFIED:
            continue
        try:
            if digest not in {str(sub["digest"].get("sha256", "")).lower() for sub in s["subjects"]}:
                raise CheckFailed("subject-digest", "its subject is another artifact")
            envelope = s["envelope"]
            body = crypto.b64decode(envelope["payload"], "payload-format")
            message = provenance.pae(envelope["payloadType"], body)
            if not any(_dsse_ok(s["public_key"], sig["sig"], message) for sig in envelope["signatures"]):
                raise CheckFailed("signature-mismatch", "the DSSE signature does not verify")
        except (CheckFailed, KeyError, ValueError) as exc:
            failures.append(f"provenance {item['filename']}: {exc}")
    _add(
        report,
        "evidence-signatures",
        not failures,
        "Artifact signatures and provenance re-verified." if not failures else "; ".join(failures),
    )


def _dsse_ok(pem: str, sig: str, message: bytes) -> bool:
    try:
        crypto.dsse_verify(pem, sig, message)
    except CheckFailed:
        return False
    return True
