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
    """Walk the chain from genesis, then hold every signed checkpoint against it.

    A checkpoint signs (sequence, head hash) at a moment; each one must still find its event in the chain
    with that hash. One past the chain's end means events were removed and the head rewritten to match:
    reported at that checkpoint, the first (lowest sequence) that no longer matches.
    """
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    checkpoints: dict[int, list[LedgerCheckpoint]] = {}
    for cp in LedgerCheckpoint.objects.order_by("sequence", "id"):
        checkpoints.setdefault(cp.sequence, []).append(cp)
    head = LedgerHead.objects.filter(pk=1).first()
    head_sequence = head.sequence if head else 0
    verified = 0
    for event in _events(chunk):
        bad = _check_event(event, expected_seq, prev_hash)
        for cp in checkpoints.get(event.sequence, []) if bad is None else []:
            bad = _check_checkpoint(cp, event.hash)
            if bad:
                break
            verified += 1
        if bad:
            return VerifyResult(False, checked, head_sequence, bad[0], bad[1])
        expected_seq, prev_hash, checked = event.sequence + 1, event.hash, checked + 1
        if progress and checked % chunk == 0:
            progress(chunk)
    if progress:
        progress(checked % chunk)
    beyond = [cp for sequence, cps in sorted(checkpoints.items()) if sequence > checked for cp in cps]
    if beyond:
        cp = beyond[0]
        return VerifyResult(
            False,
            checked,
            head_sequence,
            cp.sequence,
            f"signed checkpoint {cp.pk} (signed {cp.signed_at.isoformat(timespec='seconds')}) vouches for "
            f"sequence {cp.sequence}, but the chain ends at {checked}: events were removed and the head "
            f"rewritten; {len(beyond)} signed checkpoint(s) no longer match",
            verified,
        )
    head = LedgerHead.objects.filter(pk=1).first()
    if head is None:
        return VerifyResult(False, checked, 0, checked + 1, "the ledger head row is missing", verified)
    if head.sequence != checked or head.hash != prev_hash:
        return VerifyResult(
            False,
            checked,
            head.sequence,
            checked + 1,
            f"ledger head says sequence {head.sequence} but the chain ends at {checked}: events are missing",
            verified,
        )
    return VerifyResult(True, checked, head.sequence, checkpoints_verified=verified)


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
