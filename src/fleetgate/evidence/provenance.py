"""Provenance: an in-toto Statement v1 with a SLSA v1 provenance predicate, in a DSSE envelope.

The envelope is read and its signatures checked by securesystemslib, the DSSE reference
implementation, so key ids are those in-toto tools write (a registered key is also found by its
Fleetgate key id). The statement's subject must name the artifact's digest. An envelope signed by
a key nobody registered is kept as *declared* provenance; a signature that names a registered key
and does not verify with it is refused, never downgraded to declared.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticError

from fleetgate.evidence import crypto
from fleetgate.evidence.crypto import CheckFailed, TrustedKey
from fleetgate.evidence.documents import FileIssues, Kind, Parsed, Status, from_pydantic, load_json

WHAT = "provenance (DSSE envelope with an in-toto Statement v1)"
IN_TOTO_PAYLOAD = "application/vnd.in-toto+json"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
SLSA_V1 = "https://slsa.dev/provenance/v1"


class DsseSignature(BaseModel):
    keyid: str = ""
    sig: str = Field(min_length=8)


class Envelope(BaseModel):
    payloadType: Literal["application/vnd.in-toto+json"]
    payload: str = Field(min_length=1)
    signatures: list[DsseSignature] = Field(min_length=1)


HEX_DIGESTS = ("sha256", "sha384", "sha512", "sha1")


class Subject(BaseModel):
    name: str
    digest: dict[str, str] = Field(min_length=1)

    @field_validator("digest")
    @classmethod
    def _hex(cls, value: dict[str, str]) -> dict[str, str]:
        """in-toto digests are lower-case hex: normalised here, so what is sealed is what verifies."""
        if "sha256" in value and not re.fullmatch(r"[0-9a-fA-F]{64}", value["sha256"]):
            raise ValueError("sha256 is 64 hex digits")
        return {k: v.lower() if k in HEX_DIGESTS else v for k, v in value.items()}


class Builder(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = Field(min_length=1)


class RunDetails(BaseModel):
    model_config = ConfigDict(extra="allow")
    builder: Builder
    metadata: dict[str, Any] = Field(default_factory=dict)


class BuildDefinition(BaseModel):
    model_config = ConfigDict(extra="allow")
    buildType: str = Field(min_length=1)
    externalParameters: dict[str, Any]
    resolvedDependencies: list[dict[str, Any]] = Field(default_factory=list)


class SlsaProvenance(BaseModel):
    model_config = ConfigDict(extra="allow")
    buildDefinition: BuildDefinition
    runDetails: RunDetails


class Statement(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    type_: Literal["https://in-toto.io/Statement/v1"] = Field(alias="_type")
    subject: list[Subject] = Field(min_length=1)
    predicateType: Literal["https://slsa.dev/provenance/v1"]
    predicate: SlsaProvenance


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding (securesystemslib's)."""
    from securesystemslib.dsse import Envelope as SslibEnvelope

    return SslibEnvelope(body, payload_type, {}).pae()


def parse(raw: bytes, filename: str) -> tuple[Envelope, Statement, bytes]:
    data = load_json(raw, filename, WHAT)
    try:
        envelope = Envelope.model_validate(data)
    except PydanticError as exc:
        raise from_pydantic(exc, filename, "DSSE envelope") from None
    issues = FileIssues(filename)
    try:
        body = crypto.b64decode(envelope.payload, "payload-format")
    except CheckFailed as exc:
        issues.fail("$.payload", exc.check, exc.message, WHAT)
    for index, signature in enumerate(envelope.signatures):
        try:
            crypto.b64decode(signature.sig)
        except CheckFailed as exc:
            issues.add(f"$.signatures[{index}].sig", exc.check, exc.message)
    keyids = [s.keyid for s in envelope.signatures]
    if len(set(keyids)) != len(keyids):
        issues.add("$.signatures", "unique-keyid", "Two signatures carry the same keyid; DSSE keeps one per key.")
    issues.raise_if_any(WHAT)
    statement_doc = load_json(body, filename, WHAT, within="$.payload:")
    try:
        statement = Statement.model_validate(statement_doc)
    except PydanticError as exc:
        raise from_pydantic(exc, f"{filename}:$.payload", "in-toto Statement v1 with a SLSA v1 predicate") from None
    return envelope, statement, body


def subject_digests(statement: Statement) -> set[str]:
    return {s.digest["sha256"] for s in statement.subject if "sha256" in s.digest}


def _named(key: TrustedKey, keyid: str) -> bool:
    """Does the DSSE keyid name this registered key (in-toto keyid, or Fleetgate's key id)?"""
    if not keyid:
        return False
    if keyid == key.key_id:
        return True
    try:
        return bool(crypto.dsse_key(key.pem).keyid == keyid)
    except CheckFailed:
        return False


def verify(envelope: Envelope, statement: Statement, body: bytes, trusted: list[TrustedKey], at: datetime) -> Parsed:
    """Verified when a registered key signed the envelope; declared when no signature names a
    registered key and none verifies with one.

    Raises CheckFailed (with the path of the signature) when a signature names a registered key
    but does not verify with it, or the key that verified it is expired or revoked."""
    message = pae(envelope.payloadType, body)
    keys = [k for k in trusted if k.kind == "public_key"]
    verified_by: TrustedKey | None = None
    refused: CheckFailed | None = None
    for index, signature in enumerate(envelope.signatures):
        named = [k for k in keys if _named(k, signature.keyid)]
        for candidate in named or keys:
            try:
                crypto.dsse_verify(candidate.pem, signature.sig, message)
            except CheckFailed as exc:
                if named and refused is None:
                    refused = CheckFailed(
                        exc.check,
                        f"Signature {index} names registered key {candidate.key_id} ('{candidate.name}') "
                        "but does not verify with it: the payload or the signature was changed.",
                        f"$.signatures[{index}].sig",
                    )
                continue
            try:
                candidate.usable_at(at)
            except CheckFailed as exc:
                raise CheckFailed(exc.check, exc.message, f"$.signatures[{index}].keyid") from None
            verified_by = candidate
            break
        if verified_by:
            break
    if verified_by is None and refused is not None:
        raise refused
    predicate = statement.predicate
    return Parsed(
        kind=Kind.PROVENANCE,
        format="dsse+in-toto-v1+slsa-provenance-v1",
        status=Status.VERIFIED if verified_by else Status.DECLARED,
        summary={
            "verified": verified_by is not None,
            "key_id": verified_by.key_id if verified_by else "",
            "publisher": verified_by.publisher if verified_by else "",
            "public_key": verified_by.pem if verified_by else "",
            "builder_id": predicate.runDetails.builder.id,
            "build_type": predicate.buildDefinition.buildType,
            "subjects": [s.model_dump() for s in statement.subject],
            "envelope": envelope.model_dump(),
        },
        digests=subject_digests(statement),
    )
