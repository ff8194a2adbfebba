"""Signatures over an artifact: detached signatures Fleetgate verifies, platform facts it records as declared.

A detached signature (fleetgate.signature/v1) signs the artifact's SHA-256 digest: Ed25519 over the
32 digest bytes; ECDSA P-256 and RSA-PSS over the digest as a pre-hashed SHA-256 message, which is
the same as `openssl dgst -sha256 -sign key.pem artifact` (PSS with -sigopt rsa_padding_mode:pss).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from fleetgate.evidence import crypto
from fleetgate.evidence.crypto import CheckFailed, TrustedKey
from fleetgate.evidence.documents import Kind, Parsed, Status, from_pydantic, load_json

WHAT = "signature (fleetgate.signature/v1)"


class Detached(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["detached"]
    algorithm: Literal["ed25519", "ecdsa-p256-sha256", "rsa-pss-sha256"]
    signature: str = Field(min_length=8)
    key_id: str = ""
    certificate_chain: list[str] = Field(default_factory=list)


class Authenticode(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["authenticode"]
    thumbprint: str = Field(pattern=r"^[0-9A-Fa-f]{40}([0-9A-Fa-f]{24})?$")
    subject: str = Field(min_length=1)
    issuer: str = ""
    timestamp: str = ""


class Notarization(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["apple_notarization"]
    team_id: str = Field(min_length=1)
    ticket_id: str = Field(min_length=1)
    developer_id: str = ""


class SignatureDocument(BaseModel):
    document: Detached | Authenticode | Notarization = Field(discriminator="type")


def parse(raw: bytes, filename: str) -> Detached | Authenticode | Notarization:
    data = load_json(raw, filename, WHAT)
    try:
        return SignatureDocument.model_validate({"document": data}).document
    except PydanticError as exc:
        raise from_pydantic(exc, filename, WHAT) from None


def declared(document: Authenticode | Notarization) -> Parsed:
    """Platform signing facts Fleetgate cannot check itself: recorded, and always shown as declared."""
    return Parsed(
        kind=Kind.SIGNATURE,
        format=document.type,
        status=Status.DECLARED,
        summary={"type": document.type, "verified": False, **document.model_dump(exclude={"type"})},
    )


def _path(check: str, document: Detached) -> str:
    """The member of the signature file a failed check is about: only paths the file has."""
    if check.startswith(("certificate-", "chain-")):
        return "$.certificate_chain"
    if check == "key-algorithm":
        return "$.algorithm"
    if check.startswith("key-") and document.key_id:
        return "$.key_id"
    return "$.signature"


def verify_detached(document: Detached, artifact_sha256: str, trusted: list[TrustedKey], at: datetime) -> Parsed:
    """Verify against the registered keys (or an X.509 chain to a registered root). Raises CheckFailed
    whose `path` names the member of the file the failed check read."""
    try:
        return _verify_detached(document, artifact_sha256, trusted, at)
    except CheckFailed as exc:
        raise CheckFailed(exc.check, exc.message, exc.path or _path(exc.check, document)) from None


def _verify_detached(document: Detached, artifact_sha256: str, trusted: list[TrustedKey], at: datetime) -> Parsed:
    signature = crypto.b64decode(document.signature)
    digest = bytes.fromhex(artifact_sha256)
    if document.certificate_chain:
        roots = [k for k in trusted if k.kind == "x509_root"]
        key, anchor, subject = crypto.verify_chain(document.certificate_chain, roots, at)
        publisher = anchor.publisher
    else:
        candidates = [
            k for k in trusted if k.kind == "public_key" and (not document.key_id or k.key_id == document.key_id)
        ]
        if not candidates:
            raise CheckFailed(
                "key-unknown",
                f"No registered publisher key{' ' + document.key_id if document.key_id else ''}; "
                "a Security Reviewer registers the publisher's key with POST /api/v1/trusted-keys/ "
                "(the trusted keys API).",
            )
        key, anchor = _matching_key(candidates, document, signature, digest, at)
        subject, publisher = anchor.name, anchor.publisher
    crypto.verify(key, document.algorithm, signature, digest, prehashed=document.algorithm != crypto.ED25519)
    return Parsed(
        kind=Kind.SIGNATURE,
        format="detached",
        status=Status.VERIFIED,
        summary={
            "type": "detached",
            "verified": True,
            "algorithm": document.algorithm,
            "signed_digest": artifact_sha256,
            "signature": document.signature,
            "key_id": anchor.key_id,
            "publisher": publisher,
            "signer": subject,
            "public_key": crypto.public_pem(key),
            "key_fingerprint": crypto.fingerprint(key),
            "certificate_chain": document.certificate_chain,
        },
        digests={artifact_sha256},
    )


def _matching_key(
    candidates: list[TrustedKey], document: Detached, signature: bytes, digest: bytes, at: datetime
) -> tuple[crypto.PublicKey, TrustedKey]:
    """The first registered key the signature verifies with; an expired or revoked match says so."""
    last: CheckFailed | None = None
    for candidate in candidates:
        try:
            key = crypto.load_public_pem(candidate.pem)
            crypto.verify(key, document.algorithm, signature, digest, prehashed=document.algorithm != crypto.ED25519)
        except CheckFailed as exc:
            last = exc if last is None or exc.check != "key-algorithm" else last
            continue
        candidate.usable_at(at)
        return key, candidate
    assert last is not None
    raise last
