"""The ledger: append-only at the database, every tampering named by verify at its first sequence."""

from __future__ import annotations

import itertools

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from fleetgate.audit import services as audit
from fleetgate.audit import triggers
from fleetgate.audit.models import LedgerCheckpoint, LedgerEvent, LedgerHead
from fleetgate.audit.verify import verify_chain
from fleetgate.core import actors
from fleetgate.core.errors import Forbidden
from tests.factories import World


def _raw(sql: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def _attacker_drops_triggers() -> None:
    for sql in triggers.drop_sql(connection.vendor):
        _raw(sql)


@pytest.fixture
def chain(world: World) -> list[LedgerEvent]:
    for n in range(5):
        world.intent(name=f"chain-{n}")
    return list(LedgerEvent.objects.order_by("sequence"))


def test_intact_chain_verifies(chain: list[LedgerEvent]) -> None:
    result = verify_chain()
    assert result.ok, result.problem
    assert result.checked == len(chain) == LedgerHead.objects.get().sequence
    assert chain[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))


@pytest.mark.parametrize("statement", ["UPDATE audit_ledgerevent SET reason = 'x'", "DELETE FROM audit_ledgerevent"])
def test_triggers_refuse_update_and_delete(chain: list[LedgerEvent], statement: str) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw(statement)
    assert LedgerEvent.objects.count() == len(chain)


def test_orm_update_is_refused_too(chain: list[LedgerEvent]) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEvent.objects.filter(sequence=1).update(action="forged")


def test_an_append_is_one_statement_under_the_head_lock(world: World) -> None:
    """The head lock is held from its SELECT ... FOR UPDATE (SQLite: the write lock) to commit; the INSERT
    moves the head itself."""
    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        event = audit.record(actor=actors.SCHEDULER, action="x.y", subject_type="intent", subject_id="1")
    statements = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("BEGIN", "COMMIT", "RELEASE"))]
    locked = next(i for i, sql in enumerate(statements) if 'FROM "audit_ledgerhead"' in sql)
    assert "FOR UPDATE" in statements[locked] or connection.vendor == "sqlite"
    assert len(statements[locked + 1 :]) == 1, statements
    assert statements[-1].startswith('INSERT INTO "audit_ledgerevent"')
    head = LedgerHead.objects.get(pk=1)
    assert (head.sequence, head.hash) == (event.sequence, event.hash)
    assert verify_chain().ok


@pytest.mark.parametrize("fork", ["sequence", "prev_hash"])
def test_the_database_refuses_an_event_that_does_not_extend_the_head(chain: list[LedgerEvent], fork: str) -> None:
    """An insert that bypasses record() (a second writer, a forged row) cannot fork the chain."""
    last = chain[-1]
    forged = {f.attname: getattr(last, f.attname) for f in LedgerEvent._meta.concrete_fields if not f.primary_key}
    forged.update(sequence=last.sequence + 1, prev_hash=last.hash, hash="f" * 64)
    forged[fork] = last.sequence + 2 if fork == "sequence" else last.prev_hash
    with pytest.raises(DatabaseError, match="does not extend the ledger head"), transaction.atomic():
        LedgerEvent.objects.create(**forged)
    assert LedgerHead.objects.get(pk=1).sequence == last.sequence
    assert verify_chain().ok


def test_edit_is_detected_at_its_sequence(chain: list[LedgerEvent]) -> None:
    _attacker_drops_triggers()
    target = chain[3].sequence
    _raw("UPDATE audit_ledgerevent SET actor_name = %s WHERE sequence = %s", ["mallory", target])
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_sequence == target
    assert "altered" in result.problem


def test_edit_with_recomputed_hash_breaks_the_next_link(chain: list[LedgerEvent]) -> None:
    _attacker_drops_triggers()
    forged = LedgerEvent.objects.get(sequence=chain[2].sequence)
    forged.actor_name = "mallory"
    forged.hash = forged.compute_hash()
    _raw(
        "UPDATE audit_ledgerevent SET actor_name = %s, hash = %s WHERE sequence = %s",
        [forged.actor_name, forged.hash, forged.sequence],
    )
    result = verify_chain()
    assert (result.ok, result.first_bad_sequence) == (False, chain[3].sequence)
    assert "prev_hash" in result.problem


def test_delete_in_the_middle_is_detected(chain: list[LedgerEvent]) -> None:
    _attacker_drops_triggers()
    _raw("DELETE FROM audit_ledgerevent WHERE sequence = %s", [chain[2].sequence])
    result = verify_chain()
    assert (result.ok, result.first_bad_sequence) == (False, chain[2].sequence)
    assert "missing" in result.problem


def test_truncated_tail_is_detected_through_the_head(chain: list[LedgerEvent]) -> None:
    _attacker_drops_triggers()
    _raw("DELETE FROM audit_ledgerevent WHERE sequence = %s", [chain[-1].sequence])
    result = verify_chain()
    assert (result.ok, result.first_bad_sequence) == (False, chain[-1].sequence)


def test_reorder_is_detected(chain: list[LedgerEvent]) -> None:
    _attacker_drops_triggers()
    a, b = chain[1].sequence, chain[2].sequence
    _raw("UPDATE audit_ledgerevent SET sequence = -1 WHERE sequence = %s", [a])
    _raw("UPDATE audit_ledgerevent SET sequence = %s WHERE sequence = %s", [a, b])
    _raw("UPDATE audit_ledgerevent SET sequence = %s WHERE sequence = -1", [b])
    result = verify_chain()
    assert (result.ok, result.first_bad_sequence) == (False, a)


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused() -> None:
    with pytest.raises(audit.LedgerOutsideTransaction):
        audit.record(actor=actors.SYSTEM, action="x.y", subject_type="x", subject_id=1)


def test_rolled_back_change_leaves_no_event(world: World) -> None:
    count = LedgerEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(actor=actors.SYSTEM, action="x.y", subject_type="x", subject_id=1)
        raise RuntimeError("the change failed after recording")
    assert LedgerEvent.objects.count() == count
    assert verify_chain().ok


def test_checkpoint_signs_the_head_and_verifies(chain: list[LedgerEvent]) -> None:
    checkpoint = audit.sign_checkpoint(actor=actors.SCHEDULER)
    assert checkpoint is not None
    assert checkpoint.sequence == chain[-1].sequence
    assert audit.sign_checkpoint(actor=actors.SCHEDULER) is None  # nothing new since
    event = LedgerEvent.objects.order_by("-sequence").first()
    assert event is not None
    assert event.action == "ledger.checkpoint_signed"
    result = verify_chain()
    assert result.ok
    assert result.checkpoints_verified == 1


def test_checkpoint_needs_the_right(world: World) -> None:
    with pytest.raises(Forbidden):
        audit.sign_checkpoint(actor=actors.ASSISTANT)


def test_forged_checkpoint_signature_is_detected(chain: list[LedgerEvent]) -> None:
    checkpoint = audit.sign_checkpoint(actor=actors.SCHEDULER)
    assert checkpoint is not None
    _attacker_drops_triggers()
    _raw("UPDATE audit_ledgercheckpoint SET signature = %s WHERE id = %s", ["A" * 88, checkpoint.pk])
    result = verify_chain()
    assert (result.ok, result.first_bad_sequence) == (False, checkpoint.sequence)
    assert "signature" in result.problem


def test_checkpoint_disagreeing_with_chain_is_detected(chain: list[LedgerEvent]) -> None:
    checkpoint = audit.sign_checkpoint(actor=actors.SCHEDULER)
    assert checkpoint is not None
    _attacker_drops_triggers()
    _raw("UPDATE audit_ledgercheckpoint SET head_hash = %s WHERE id = %s", ["f" * 64, checkpoint.pk])
    assert verify_chain().first_bad_sequence == checkpoint.sequence


def test_checkpoint_rows_are_append_only(chain: list[LedgerEvent]) -> None:
    audit.sign_checkpoint(actor=actors.SCHEDULER)
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerCheckpoint.objects.all().delete()


def test_truncation_below_a_checkpoint_with_a_rewritten_head_is_named_at_the_checkpoint(
    chain: list[LedgerEvent],
) -> None:
    checkpoint = audit.sign_checkpoint(actor=actors.SCHEDULER)
    assert checkpoint is not None
    keep = chain[1]
    _attacker_drops_triggers()
    _raw("DELETE FROM audit_ledgerevent WHERE sequence > %s", [keep.sequence])
    _raw("UPDATE audit_ledgerhead SET sequence = %s, hash = %s WHERE id = 1", [keep.sequence, keep.hash])
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_sequence == checkpoint.sequence
    assert f"signed checkpoint {checkpoint.pk}" in result.problem
    assert f"chain ends at {keep.sequence}" in result.problem
    assert result.checked == keep.sequence


def test_every_checkpoint_is_held_against_the_chain(chain: list[LedgerEvent], world: World) -> None:
    first = audit.sign_checkpoint(actor=actors.SCHEDULER)
    world.intent(name="after-first-checkpoint")
    second = audit.sign_checkpoint(actor=actors.SCHEDULER)
    assert first is not None
    assert second is not None
    assert second.sequence > first.sequence
    result = verify_chain()
    assert (result.ok, result.checkpoints_verified) == (True, 2)
    _attacker_drops_triggers()
    _raw("UPDATE audit_ledgercheckpoint SET head_hash = %s WHERE id = %s", ["e" * 64, first.pk])
    result = verify_chain()
    assert (result.ok, result.first_bad_sequence) == (False, first.sequence)


def test_missing_head_row_is_reported_not_raised(chain: list[LedgerEvent]) -> None:
    _raw("DELETE FROM audit_ledgerhead")
    result = verify_chain()
    assert (result.ok, result.first_bad_sequence) == (False, len(chain) + 1)
    assert "head" in result.problem


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL only")
@pytest.mark.parametrize("table", triggers.TRUNCATE_PROTECTED_TABLES)
def test_truncate_is_refused_on_postgresql(chain: list[LedgerEvent], table: str) -> None:
    with pytest.raises(DatabaseError, match=r"TRUNCATE on \w+ is refused"), transaction.atomic():
        _raw(f"TRUNCATE {table} CASCADE")
    assert LedgerEvent.objects.count() == len(chain)
    assert verify_chain().ok
