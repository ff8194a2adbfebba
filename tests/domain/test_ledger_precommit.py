"""The ledger head lock is taken just before commit (core/db/precommit.py), so a change's own work never
runs while every other writer waits for the head (issue 16)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from fleetgate.approvals import services as approvals
from fleetgate.audit import services as audit
from fleetgate.audit.models import LedgerEvent, LedgerHead
from fleetgate.audit.verify import verify_chain
from fleetgate.core import actors
from fleetgate.core.roles import Role
from tests.factories import World, events_of, sealed_intent


def _after_head_lock(statements: list[str]) -> list[str]:
    locked = next(i for i, sql in enumerate(statements) if 'FROM "audit_ledgerhead"' in sql)
    return [sql for sql in statements[locked + 1 :] if not sql.startswith(("RELEASE", "COMMIT"))]


def _record(action: str, subject_id: str = "1") -> LedgerEvent:
    return audit.record(actor=actors.SCHEDULER, action=action, subject_type="intent", subject_id=subject_id)


def test_a_submit_holds_the_head_lock_only_for_its_events(world: World) -> None:
    """A policy-approved submit records two events around its evidence, risk and ring checks; the lock
    comes after all of them, and only the two INSERTs follow it."""
    sealed = sealed_intent(world)
    with CaptureQueriesContext(connection) as ctx:
        intent = approvals.submit(actor=world.actors[Role.PUBLISHER], intent_id=sealed.intent.pk)
    assert intent.state == "approved"
    after = _after_head_lock([q["sql"] for q in ctx.captured_queries])
    assert len(after) == 2, after
    assert all(sql.startswith('INSERT INTO "audit_ledgerevent"') for sql in after), after
    assert events_of(intent.pk)[-2:] == ["intent.submitted", "intent.cab_not_required"]
    assert verify_chain().ok


def test_events_are_written_in_the_order_recorded_with_one_lock(world: World) -> None:
    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        first, second, third = _record("a.one"), _record("a.two"), _record("a.three")
        assert not LedgerEvent.objects.filter(action__startswith="a.").exists()  # queued until commit
    head_reads = [q for q in ctx.captured_queries if 'FROM "audit_ledgerhead"' in q["sql"]]
    assert len(head_reads) == 1
    assert [first.sequence + 1, first.sequence + 2] == [second.sequence, third.sequence]
    assert (second.prev_hash, third.prev_hash) == (first.hash, second.hash)
    assert LedgerHead.objects.get(pk=1).sequence == third.sequence
    assert verify_chain().ok


def test_an_event_recorded_in_a_rolled_back_savepoint_is_dropped_with_it(world: World) -> None:
    with transaction.atomic():
        _record("kept.before")
        with pytest.raises(RuntimeError), transaction.atomic():
            _record("dropped")
            raise RuntimeError("the nested change fails")
        _record("kept.after")
    actions = list(LedgerEvent.objects.order_by("-sequence").values_list("action", flat=True)[:2])
    assert actions == ["kept.after", "kept.before"]
    assert not LedgerEvent.objects.filter(action="dropped").exists()
    assert verify_chain().ok


def test_a_failed_transaction_writes_none_of_its_events(world: World) -> None:
    head = LedgerHead.objects.get(pk=1).sequence
    with pytest.raises(RuntimeError), transaction.atomic():
        _record("never")
        raise RuntimeError("the change fails")
    assert LedgerHead.objects.get(pk=1).sequence == head
    assert not LedgerEvent.objects.filter(action="never").exists()


def test_record_outside_a_block_of_its_own_is_written_at_once(world: World) -> None:
    """Only a test's transaction is open here (it never commits): nothing to wait for."""
    event = _record("at.once")
    assert LedgerEvent.objects.filter(pk=event.pk, sequence=event.sequence).exists()


@pytest.mark.django_db(transaction=True)
def test_events_are_committed_with_the_change() -> None:
    head = LedgerHead.objects.get(pk=1).sequence
    with transaction.atomic():
        event = _record("committed")
    assert event.sequence == head + 1
    assert LedgerHead.objects.get(pk=1).sequence == event.sequence
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_an_append_that_fails_at_commit_rolls_the_change_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commit's INSERT is refused (here: a hash already in the chain), and nothing of the transaction
    stays, the change's own rows included."""
    from django.contrib.auth import get_user_model

    with transaction.atomic():
        taken = _record("committed.first")
    monkeypatch.setattr(audit, "_chain_hash", lambda event, parts: taken.hash)
    with pytest.raises(DatabaseError), transaction.atomic():
        get_user_model().objects.create(username="written-with-its-event")
        event = _record("refused")
    assert not get_user_model().objects.filter(username="written-with-its-event").exists()
    assert not LedgerEvent.objects.filter(action="refused").exists()
    assert event.pk is None
    assert LedgerHead.objects.get(pk=1).sequence == taken.sequence
    monkeypatch.undo()
    assert verify_chain().ok
