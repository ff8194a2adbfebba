"""Races that only a real multi-connection database can show (PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import close_old_connections, connection, transaction

from fleetgate.audit import services as audit
from fleetgate.audit.models import LedgerEvent
from fleetgate.audit.verify import verify_chain
from fleetgate.core import actors
from fleetgate.core.errors import InvalidTransition
from fleetgate.intents import services
from tests.factories import World

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # collected and asserted by the caller
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()
    return results


def test_eight_concurrent_writers_never_fork_the_chain() -> None:
    per_thread = 25

    def write(index: int) -> int:
        for n in range(per_thread):
            with transaction.atomic():
                audit.record(
                    actor=actors.SYSTEM, action="test.concurrent", subject_type="thread", subject_id=f"{index}-{n}"
                )
        return per_thread

    before = LedgerEvent.objects.count()
    results = _in_threads(8, write)
    assert results == [per_thread] * 8
    sequences = list(LedgerEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert len(sequences) == before + 8 * per_thread
    assert sequences == list(range(1, len(sequences) + 1))
    result = verify_chain()
    assert result.ok, result.problem


def test_concurrent_submit_exactly_one_wins() -> None:
    world = World.build()
    intent = world.intent()

    results = _in_threads(2, lambda i: services.submit(actor=world.publisher, intent_id=intent.pk))
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1
    assert len(losers) == 1
    assert isinstance(losers[0], InvalidTransition)
    assert LedgerEvent.objects.filter(action="intent.submitted", subject_id=str(intent.pk)).count() == 1
