"""Recompute the chain from the first event and name the first sequence that does not hold."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fleetgate.audit.models import GENESIS_HASH, LedgerCheckpoint, LedgerEvent, LedgerHead
from fleetgate.audit.services import _checkpoint_message
from fleetgate.core import keys

Progress = Callable[[int], None]


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    head_sequence: int
    first_bad_sequence: int | None = None
    problem: str = ""
    checkpoints_verified: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _events(chunk: int) -> Iterator[LedgerEvent]:
    return LedgerEvent.objects.order_by("sequence").iterator(chunk_size=chunk)


def verify_chain(progress: Progress | None = None, chunk: int = 2000) -> VerifyResult:
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    checkpoints = {cp.sequence: cp for cp in LedgerCheckpoint.objects.all()}
    head = LedgerHead.objects.get(pk=1)
    for event in _events(chunk):
        bad = _check_event(event, expected_seq, prev_hash)
        if bad is None and event.sequence in checkpoints:
            bad = _check_checkpoint(checkpoints[event.sequence], event.hash)
        if bad:
            return VerifyResult(False, checked, head.sequence, bad[0], bad[1])
        expected_seq, prev_hash, checked = event.sequence + 1, event.hash, checked + 1
        if progress and checked % chunk == 0:
            progress(chunk)
    if progress:
        progress(checked % chunk)
    head.refresh_from_db()
    if head.sequence != checked or head.hash != prev_hash:
        return VerifyResult(
            False,
            checked,
            head.sequence,
            checked + 1,
            f"ledger head says sequence {head.sequence} but the chain ends at {checked}: events are missing",
        )
    return VerifyResult(True, checked, head.sequence, checkpoints_verified=sum(1 for s in checkpoints if s <= checked))


def _check_event(event: LedgerEvent, expected_seq: int, prev_hash: str) -> tuple[int, str] | None:
    if event.sequence != expected_seq:
        return expected_seq, f"sequence {expected_seq} is missing (next stored event is {event.sequence})"
    if event.prev_hash != prev_hash:
        return event.sequence, "prev_hash does not match the hash of the event before it"
    if event.compute_hash() != event.hash:
        return event.sequence, "content does not match its hash (the event was altered)"
    return None


def _check_checkpoint(cp: LedgerCheckpoint, event_hash: str) -> tuple[int, str] | None:
    if cp.head_hash != event_hash:
        return cp.sequence, "a signed checkpoint disagrees with the chain at this sequence"
    public = _public_keys().get(cp.key_id)
    if public is None:
        return None  # signed by a key this installation no longer holds; the hash match still binds it
    try:
        public.verify(base64.b64decode(cp.signature), _checkpoint_message(cp.sequence, cp.head_hash))
    except InvalidSignature:
        return cp.sequence, "checkpoint signature is invalid"
    return None


def _public_keys() -> dict[str, Ed25519PublicKey]:
    signer = keys.load_or_create("ledger")
    return {signer.key_id: signer.public}


def count_events() -> int:
    return LedgerEvent.objects.count()
