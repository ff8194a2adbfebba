"""The outbox: each destination's events after its acknowledged sequence, sent in order, in batches.

One pass per destination: claim a batch under the destination's row lock (a lease, so the send itself
happens outside any transaction and a second worker never sends the same batch meanwhile), send it, then
move `acknowledged_sequence` to the batch's last sequence, only if the send succeeded and the lease is
still ours. A failure keeps the mark where it was (the same events go again, never skipped) and backs off.
A worker that dies mid-send leaves a lease that lapses; the next pass resends the batch (at-least-once).

These progress writes are operational state, like webhook deliveries: they are not ledger events (each
would be one more event to stream, forever). Configuration changes are (services.destinations).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from fleetgate.audit.models import LedgerEvent
from fleetgate.core import permissions
from fleetgate.core.actors import Actor, service
from fleetgate.core.errors import DomainError
from fleetgate.siem import metrics, transports
from fleetgate.siem.models import Destination
from fleetgate.siem.services.destinations import endpoint, send

STREAMER = service("siem-streamer", frozenset({"siem.stream"}))
LEASE = timedelta(seconds=transports.TIMEOUT_SECONDS * 6)  # longer than any one send can take
BACKOFF_BASE = timedelta(seconds=15)
BACKOFF_CAP = timedelta(minutes=10)
MAX_BATCHES_PER_PASS = 50  # a pass ends, and the next one continues, so a busy ledger never pins a worker


@dataclass
class Outcome:
    destination: str
    sent: int = 0
    batches: int = 0
    acknowledged_sequence: int = 0
    failed_range: tuple[int, int] | None = None  # the batch that was not accepted (sent again later)
    error: str = ""


@dataclass(frozen=True)
class _Claim:
    destination: Destination
    token: str
    events: list[LedgerEvent]


def backoff(consecutive_failures: int) -> timedelta:
    return min(BACKOFF_BASE * 2 ** max(0, consecutive_failures - 1), BACKOFF_CAP)


def _claim(destination_id: int, now: datetime) -> _Claim | None:
    with transaction.atomic():
        destination = Destination.objects.select_for_update().filter(pk=destination_id).first()
        if destination is None or not destination.enabled:
            return None
        if destination.next_attempt_at and destination.next_attempt_at > now:
            return None  # backing off after a failure
        if destination.lease_until and destination.lease_until > now:
            return None  # another worker is sending this destination's batch
        after = destination.acknowledged_sequence
        rows = list(LedgerEvent.objects.filter(sequence__gt=after).order_by("sequence")[: destination.batch_size])
        events: list[LedgerEvent] = []
        for row in rows:  # the ledger has no gaps (one head row serialises appends); never send past one
            if row.sequence != after + 1 + len(events):
                break
            events.append(row)
        if rows and not events:
            destination.consecutive_failures += 1
            destination.failures_total += 1
            destination.last_error = (
                f"Ledger sequence {after + 1} is missing (the next stored is {rows[0].sequence}), so nothing after "
                "it is sent. Verify the ledger on the Ledger page and restore it from a backup."
            )
            destination.next_attempt_at = now + backoff(destination.consecutive_failures)
            destination.save(update_fields=["consecutive_failures", "failures_total", "last_error", "next_attempt_at"])
            return None
        if not events:
            return None
        destination.lease_token = uuid.uuid4().hex
        destination.lease_until = now + LEASE
        destination.last_attempt_at = now
        destination.save(update_fields=["lease_token", "lease_until", "last_attempt_at"])
    return _Claim(destination, destination.lease_token, events)


def _settle(claim: _Claim, now: datetime, error: str) -> Destination | None:
    """Record how the batch went; None when the lease lapsed and another worker took over meanwhile."""
    with transaction.atomic():
        destination = Destination.objects.select_for_update().filter(pk=claim.destination.pk).first()
        if destination is None or destination.lease_token != claim.token:
            return None
        destination.lease_token, destination.lease_until = "", None
        fields = ["lease_token", "lease_until", "last_error", "consecutive_failures", "next_attempt_at"]
        if error:
            destination.consecutive_failures += 1
            destination.failures_total += 1
            destination.last_error = error[:2000]
            destination.next_attempt_at = now + backoff(destination.consecutive_failures)
            fields.append("failures_total")
        else:
            last = claim.events[-1].sequence
            destination.acknowledged_sequence = max(destination.acknowledged_sequence, last)
            destination.events_sent_total += len(claim.events)
            destination.last_success_at = now
            destination.last_error, destination.consecutive_failures, destination.next_attempt_at = "", 0, None
            fields += ["acknowledged_sequence", "events_sent_total", "last_success_at"]
        destination.save(update_fields=fields)
    return destination


def stream(
    destination_id: int, *, actor: Actor = STREAMER, now: datetime | None = None, max_batches: int | None = None
) -> Outcome:
    """Send what is due for one destination, batch after batch, until caught up, a failure or the pass limit."""
    permissions.require(actor, "siem.stream")
    limit = MAX_BATCHES_PER_PASS if max_batches is None else max_batches
    outcome = Outcome(destination=str(destination_id))
    while outcome.batches < limit:
        at = now or timezone.now()
        claim = _claim(destination_id, at)
        if claim is None:
            break
        outcome.destination = claim.destination.name
        error = ""
        try:
            send(claim.destination, endpoint(claim.destination), list(claim.events))
        except (transports.DeliveryFailed, DomainError) as exc:
            error = str(exc)
        settled = _settle(claim, now or timezone.now(), error)
        if settled is None:
            outcome.error = "the claim lapsed during the send or the destination was removed; nothing acknowledged"
            break
        outcome.acknowledged_sequence = settled.acknowledged_sequence
        metrics.batch(settled, len(claim.events), ok=not error)
        if error:
            outcome.failed_range = (claim.events[0].sequence, claim.events[-1].sequence)
            outcome.error = error
            break
        outcome.sent += len(claim.events)
        outcome.batches += 1
    return outcome


def stream_all(*, actor: Actor = STREAMER, now: datetime | None = None) -> list[Outcome]:
    permissions.require(actor, "siem.stream")  # up front: refused even when no destination is enabled
    ids = list(Destination.objects.filter(enabled=True).values_list("pk", flat=True))
    return [stream(pk, actor=actor, now=now) for pk in ids]
