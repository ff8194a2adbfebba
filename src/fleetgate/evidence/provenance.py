"""Provenance: an in-toto Statement v1 with a SLSA v1 provenance predicate, in a DSSE envelope.

The envelope's signature is checked over the DSSE pre-authentication encoding with the registered
keys; the statement's subject must name the artifact's digest. A well-formed envelope signed by a
key nobody registered is kept, but as *declared* provenance, never as verified.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
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


class Subject(BaseModel):
    name: str
    digest: dict[str, str] = Field(min_length=1)


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
    """DSSE v1 pre-authentication encoding."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body)


def parse(raw: bytes, filename: str) -> tuple[Envelope, Statement, bytes]:
    data = load_json(raw, filename, WHAT)
    try:
        envelope = Envelope.model_validate(data)
    except PydanticError as exc:
        raise from_pydantic(exc, filename, "DSSE envelope") from None
    try:
        body = crypto.b64decode(envelope.payload, "payload-format")
    except CheckFailed as exc:
        FileIssues(filename).fail("$.payload", exc.check, exc.message, WHAT)
    try:
        statement = Statement.model_validate(json.loads(body))
    except json.JSONDecodeError as exc:
        FileIssues(filename).fail("$.payload", "json", f"The payload is not JSON: {exc.msg}.", WHAT)
    except PydanticError as exc:
        err = from_pydantic(exc, f"{filename}:$.payload", "in-toto Statement v1 with a SLSA v1 predicate")
        raise err from None
    return envelope, statement, body


def subject_digests(statement: Statement) -> set[str]:
    return {s.digest["sha256"].lower() for s in statement.subject if "sha256" in s.digest}


def verify(envelope: Envelope, statement: Statement, body: bytes, trusted: list[TrustedKey], at: datetime) -> Parsed:
    """Verified when a registered key signed the envelope; declared when no registered key matches.

    Raises CheckFailed when a registered key is named (keyid) but the signature does not verify,
    or the matching key is expired or revoked."""
    message = pae(envelope.payloadType, body)
    keys = [k for k in trusted if k.kind == "public_key"]
    verified_by: TrustedKey | None = None
    for signature in envelope.signatures:
        named = [k for k in keys if signature.keyid and k.key_id == signature.keyid]
        for candidate in named or keys:
            key = crypto.load_public_pem(candidate.pem)
            try:
                crypto.verify(key, crypto.algorithm_of(key), crypto.b64decode(signature.sig), message)
            except CheckFailed:
                if named:
                    raise
                continue
            candidate.usable_at(at)
            verified_by = candidate
            break
        if verified_by:
            break
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
