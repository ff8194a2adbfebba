"""Sealing: RFC 8785 canonical JSON, SHA-256 content address, Ed25519 signature. Pure."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fleetgate.evidence import crypto

SCHEMA = "fleetgate.evidence-pack/v1"


def canonical(body: dict[str, Any]) -> bytes:
    return rfc8785.dumps(body)


def seal_message(digest: str) -> bytes:
    return f"{SCHEMA}:{digest}".encode()


def seal(body: dict[str, Any], private: Ed25519PrivateKey, key_id: str) -> tuple[str, str]:
    """Return (sealed JSON text, content address). The signature covers the schema and the digest."""
    digest = hashlib.sha256(canonical(body)).hexdigest()
    signature = private.sign(seal_message(digest))
    sealed = {
        "body": body,
        "seal": {
            "schema": SCHEMA,
            "canonicalization": "RFC 8785",
            "digest_algorithm": "sha256",
            "sha256": digest,
            "algorithm": crypto.ED25519,
            "key_id": key_id,
            "public_key": crypto.public_pem(private.public_key()),
            "signature": base64.b64encode(signature).decode(),
        },
    }
    return json.dumps(sealed, indent=1, sort_keys=True, ensure_ascii=False), digest
