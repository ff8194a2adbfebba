"""Reads of evidence: current items per artifact, components, keys and packs."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from fleetgate.core.actors import Actor
from fleetgate.core.scoping import APPLICATION, INTENT, scoped
from fleetgate.evidence import crypto
from fleetgate.evidence.documents import Kind
from fleetgate.evidence.models import EvidenceItem, EvidencePack, SbomComponent, SealKey, TrustedKey


def items(actor: Actor | None = None) -> QuerySet[EvidenceItem]:
    qs = EvidenceItem.objects.select_related("artifact", "created_by")
    return scoped(actor, qs, APPLICATION.via("artifact__version__application"))


def current(artifact_id: Any) -> list[EvidenceItem]:
    return list(items().filter(artifact_id=artifact_id, current=True).order_by("kind", "slot", "created_at"))


def current_of(artifact_id: Any, kind: Kind) -> list[EvidenceItem]:
    return [i for i in current(artifact_id) if i.kind == kind]


def components(actor: Actor | None = None) -> QuerySet[SbomComponent]:
    qs = SbomComponent.objects.filter(evidence__current=True).select_related(
        "artifact__version__application", "evidence"
    )
    return scoped(actor, qs, APPLICATION.via("artifact__version__application"))


def trusted_keys() -> QuerySet[TrustedKey]:
    return TrustedKey.objects.select_related("created_by")


def trusted_values() -> list[crypto.TrustedKey]:
    return [k.as_value() for k in TrustedKey.objects.all()]


def packs(actor: Actor | None = None) -> QuerySet[EvidencePack]:
    """Packs belong to their intent: read in the intent's target scope."""
    qs = EvidencePack.objects.select_related("intent", "artifact", "sealed_by", "supersedes")
    return scoped(actor, qs, INTENT.via("intent"))


def seal_keys() -> QuerySet[SealKey]:
    return SealKey.objects.all()
