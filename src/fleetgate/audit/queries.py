"""Reads of the ledger: filtered listings and the JSON-lines export."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.db.models import QuerySet

from fleetgate.audit.models import LedgerEvent


def events() -> QuerySet[LedgerEvent]:
    return LedgerEvent.objects.all()


def for_subject(subject_type: str, subject_id: object) -> QuerySet[LedgerEvent]:
    return LedgerEvent.objects.filter(subject_type=subject_type, subject_id=str(subject_id)).order_by("sequence")


def export_lines(after_sequence: int = 0, chunk: int = 2000) -> Iterator[str]:
    qs = LedgerEvent.objects.filter(sequence__gt=after_sequence).order_by("sequence")
    for event in qs.iterator(chunk_size=chunk):
        yield json.dumps(event.as_export(), sort_keys=True, separators=(",", ":")) + "\n"
