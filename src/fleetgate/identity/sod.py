"""Separation-of-duties refusals that survive the rollback: every domain that refuses an insider's
attempt raises `Refused` inside its transaction and wraps the service in `recording_refusals`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

from fleetgate.audit import services as audit
from fleetgate.core.actors import Actor
from fleetgate.core.errors import SeparationOfDuties


class Refused(Exception):
    """Raised inside a service's transaction; `recording_refusals` turns it into a ledger event + 403."""

    def __init__(self, message: str, *, rule: str, subject_type: str, subject_id: object, attempted: str) -> None:
        super().__init__(message)
        self.message, self.rule, self.attempted = message, rule, attempted
        self.subject_type, self.subject_id = subject_type, subject_id


@contextmanager
def recording_refusals(actor: Actor) -> Iterator[None]:
    """Use as `with recording_refusals(actor), transaction.atomic():` — the service's transaction
    rolls back first (nothing it wrote survives), then the refused attempt is written to the ledger
    in a transaction of its own, so it is kept even though the action was not. (API requests are
    not wrapped in ATOMIC_REQUESTS, so this inner transaction commits on its own.)"""
    try:
        yield
    except Refused as refused:
        with transaction.atomic():
            audit.record(
                actor=actor,
                action="sod.refused",
                subject_type=refused.subject_type,
                subject_id=refused.subject_id,
                after={"attempted": refused.attempted, "rule": refused.rule, "actor_kind": actor.kind},
                reason=refused.message,
                severity="warning",
            )
        raise SeparationOfDuties(refused.message, rule=refused.rule, attempted=refused.attempted) from None
