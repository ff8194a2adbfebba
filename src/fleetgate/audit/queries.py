"""Reads of the ledger: filtered listings and the JSON-lines export."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.db.models import QuerySet

from fleetgate.audit.models import LedgerEvent
from fleetgate.core.actors import Actor
from fleetgate.core.scoping import scoped_subjects


def events(actor: Actor | None = None) -> QuerySet[LedgerEvent]:
    """Every event, or those `actor` may read: none about a subject outside their scope."""
    return scoped_subjects(actor, LedgerEvent.objects.all())


def for_subject(subject_type: str, subject_id: object) -> QuerySet[LedgerEvent]:
    return LedgerEvent.objects.filter(subject_type=subject_type, subject_id=str(subject_id)).order_by("sequence")


def export_lines(after_sequence: int = 0, chunk: int = 2000, actor: Actor | None = None) -> Iterator[str]:
    qs = events(actor).filter(sequence__gt=after_sequence).order_by("sequence")
    for event in qs.iterator(chunk_size=chunk):
        yield json.dumps(event.as_export(), sort_keys=True, separators=(",", ":")) + "\n"
