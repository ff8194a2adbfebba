"""A complete, honest set of evidence for a demo artifact (used by `fleetgate seed-demo`): documents in
the published shapes, signed with a demo publisher key, attached through the real services so every
check runs exactly as for a real package. Nothing here is used in production paths."""

from __future__ import annotations

import io
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fleetgate.catalog.models import Artifact
from fleetgate.catalog.store import store_stream
from fleetgate.core.actors import Actor
from fleetgate.evidence import services
from fleetgate.evidence.demo_documents import DEFAULT_FINDINGS, Subject, documents


def publisher_key(actor: Actor, publisher: str = "Demo Publisher") -> Ed25519PrivateKey:
    """A fresh Ed25519 publisher key, registered as trusted by `actor` (a Security Reviewer)."""
    key = Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    services.register_key(actor=actor, name=f"{publisher} release key", publisher=publisher, pem=pem.decode())
    return key


def attach(
    actor: Actor, artifact: Artifact, key: Ed25519PrivateKey, findings: list[tuple[str, float, str]] | None = None
) -> None:
    """Attach every required section (a Packaging Engineer's actor)."""
    for kind, doc in documents(Subject.of(artifact), key, findings or DEFAULT_FINDINGS).items():
        upload = store_stream(io.BytesIO(json.dumps(doc).encode()), 1024 * 1024)
        services.add_evidence(actor=actor, artifact_id=artifact.pk, kind=kind, filename=f"{kind}.json", upload=upload)
