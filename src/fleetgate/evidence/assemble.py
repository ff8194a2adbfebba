"""Gather what a pack seals: the intent, the artifact, the current evidence, risk, exceptions, CAB."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from fleetgate.catalog.models import Artifact
from fleetgate.catalog.store import CHUNK, path_for
from fleetgate.core.actors import Actor
from fleetgate.evidence import inputs, queries
from fleetgate.evidence.models import EvidenceItem, EvidencePack
from fleetgate.evidence.seal import SCHEMA
from fleetgate.intents.models import DeploymentIntent


def stored_digest_ok(artifact: Artifact) -> bool:
    """Recompute the digest of the stored artifact bytes: Fleetgate's own copy must still be the file registered."""
    path = path_for(artifact.sha256)
    if not path.exists():
        return False
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest() == artifact.sha256


def section(item: EvidenceItem) -> dict[str, Any]:
    return {
        "evidence_id": str(item.pk),
        "filename": item.filename,
        "document_sha256": item.sha256,
        "format": item.format,
        "status": item.status,
        "added_at": item.created_at.isoformat(),
        "summary": item.summary,
    }


def body(
    *,
    intent: DeploymentIntent,
    artifact: Artifact,
    actor: Actor,
    at: datetime,
    version: int,
    previous: EvidencePack | None,
) -> dict[str, Any]:
    sections: dict[str, list[dict[str, Any]]] = {}
    for item in queries.current(artifact.pk):
        sections.setdefault(item.kind, []).append(section(item))
    risk = inputs.SOURCES.risk(intent_id=intent.pk)
    app = intent.application
    return {
        "schema": SCHEMA,
        "version": version,
        "supersedes": {"version": previous.version, "sha256": previous.sha256} if previous else None,
        "intent": {"id": str(intent.pk), **intent.snapshot()},
        "application": {"id": str(app.pk), **app.snapshot()},
        "artifact": {"id": str(artifact.pk), **artifact.snapshot()},
        "rollout_plan": intent.ring_plan,
        "sections": sections,
        "risk": risk,
        "exceptions": inputs.exceptions_for(artifact.sha256, intent.pk, at).as_list(),
        "cab_submission": {
            "required": bool(risk and risk.get("cab_required")),
            "present": inputs.SOURCES.cab_submission(intent_id=intent.pk),
        },
        "sealed_at": at.isoformat(),
        "sealed_by": actor.ledger_view(),
    }


def comparable(body: dict[str, Any]) -> dict[str, Any]:
    """What makes two packs the same evidence: everything but when, by whom, and which version."""
    return {k: v for k, v in body.items() if k not in ("version", "supersedes", "sealed_at", "sealed_by")}
