"""The ledger's writers: record() for events, sign_checkpoint() for signed heads."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from typing import Any

import rfc8785
from django.db import connection, transaction
from django.utils import timezone

from fleetgate.audit.models import LedgerCheckpoint, LedgerEvent, LedgerHead
from fleetgate.core import correlation, keys, permissions
from fleetgate.core.actors import Actor
from fleetgate.core.db import precommit
from fleetgate.core.snapshot import to_json


class LedgerOutsideTransaction(RuntimeError):
    """record() must share the transaction of the change it describes."""


def record(
    *,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: object,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    severity: str = "info",
) -> LedgerEvent:
    if not connection.in_atomic_block:
        raise LedgerOutsideTransaction(f"audit.record({action}) called outside transaction.atomic()")
    event = LedgerEvent(
        sequence=0,  # the chain's position (sequence, time, previous hash) is set under the lock below
        occurred_at=timezone.now(),
        prev_hash="",
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        actor_roles=actor.roles,
        action=action,
        severity=severity,
        subject_type=subject_type,
        subject_id=str(subject_id),
        before=to_json(before),
        after=to_json(after),
        reason=reason,
        correlation_id=correlation.current(),
    )
    # The head row lock serialises every writer until commit (issue 16), so it is taken as late as the
    # chain allows: what the hash covers besides the chain's position (the snapshots above all) is
    # canonicalised now, and the event is chained and written just before the transaction commits
    # (core/db/precommit.py), with the transaction's other events: one lock, the INSERTs, the commit.
    precommit.before_commit(_append, (event, _canonical_parts(event)))
    return event


def _append(pending: Sequence[tuple[LedgerEvent, dict[str, bytes]]]) -> None:
    """Chain and write a transaction's events, in the order they were recorded, under the head lock.

    Only the sequence, the time and the previous hash are added under it; each INSERT moves the head
    itself (triggers.create_head_sql)."""
    head = LedgerHead.objects.select_for_update().get(pk=1)
    sequence, prev_hash = head.sequence, head.hash
    for event, parts in pending:
        sequence += 1
        event.sequence, event.occurred_at, event.prev_hash = sequence, timezone.now(), prev_hash
        event.hash = prev_hash = _chain_hash(event, parts)
        event.save(force_insert=True)


CHAIN_FIELDS = ("sequence", "occurred_at", "prev_hash")  # known only under the head lock


def _canonical_parts(event: LedgerEvent) -> dict[str, bytes]:
    """RFC 8785 of each value of `canonical_content()` but the chain's position, keyed by its name."""
    return {key: rfc8785.dumps(value) for key, value in event.canonical_content().items() if key not in CHAIN_FIELDS}


def _chain_hash(event: LedgerEvent, parts: dict[str, bytes]) -> str:
    """`event.compute_hash()`, from the parts canonicalised before the lock: an RFC 8785 object is its
    members sorted by key (all ASCII here), `"key":value`, comma-separated, without whitespace."""
    content = event.canonical_content()
    members = {**parts, **{key: rfc8785.dumps(content[key]) for key in CHAIN_FIELDS}}
    body = b",".join(rfc8785.dumps(key) + b":" + members[key] for key in sorted(members))
    return hashlib.sha256(b"{" + body + b"}").hexdigest()


def _checkpoint_message(sequence: int, head_hash: str) -> bytes:
    return f"fleetgate-ledger-checkpoint:{sequence}:{head_hash}".encode()


def sign_checkpoint(*, actor: Actor) -> LedgerCheckpoint | None:
    """Sign the current head; skipped when nothing was appended since the last checkpoint."""
    permissions.require(actor, "ledger.checkpoint")
    key = keys.load_or_create("ledger")
    with transaction.atomic():
        head = LedgerHead.objects.select_for_update().get(pk=1)
        last = LedgerCheckpoint.objects.first()
        if head.sequence == 0 or (last and _only_checkpoint_since(last.sequence, head.sequence)):
            return None
        signature = key.private.sign(_checkpoint_message(head.sequence, head.hash))
        checkpoint = LedgerCheckpoint.objects.create(
            sequence=head.sequence,
            head_hash=head.hash,
            signed_at=timezone.now(),
            key_id=key.key_id,
            signature=base64.b64encode(signature).decode(),
        )
        record(
            actor=actor,
            action="ledger.checkpoint_signed",
            subject_type="ledger_checkpoint",
            subject_id=checkpoint.pk,
            after={"sequence": checkpoint.sequence, "head_hash": checkpoint.head_hash, "key_id": key.key_id},
        )
    return checkpoint


def _only_checkpoint_since(checkpointed: int, head: int) -> bool:
    """True when nothing but the previous checkpoint's own ledger event was appended since it."""
    if head == checkpointed:
        return True
    return (
        head == checkpointed + 1
        and LedgerEvent.objects.filter(sequence=head, action="ledger.checkpoint_signed").exists()
    )
