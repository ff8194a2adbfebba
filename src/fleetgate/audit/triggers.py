"""Database triggers that make ledger tables append-only, per backend.

Row triggers refuse UPDATE and DELETE; on PostgreSQL a statement-level trigger refuses TRUNCATE too
(which row triggers never see). SQLite has no TRUNCATE: its `DELETE FROM t` fires the row triggers.
Kept as data so the migrations, the tamper tests (which drop them as an attacker would) and the test
harness's flush (which lifts the TRUNCATE guard for the length of one statement) agree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PROTECTED_TABLES = ("audit_ledgerevent", "audit_ledgercheckpoint")
# The head is updated by every append, so only TRUNCATE is refused there.
TRUNCATE_PROTECTED_TABLES = (*PROTECTED_TABLES, "audit_ledgerhead")
TRUNCATE_FUNCTION = "fleetgate_ledger_no_truncate"


def runs(statements: Callable[[str], list[str]]) -> Callable[[Any, Any], None]:
    """A migration's RunPython function: runs `statements(vendor)` on the database being migrated."""

    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements(schema_editor.connection.vendor):
            schema_editor.execute(sql)

    return run


def create_sql(vendor: str) -> list[str]:
    statements: list[str] = []
    for table in PROTECTED_TABLES:
        if vendor == "postgresql":
            statements += [
                f"""CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
                BEGIN RAISE EXCEPTION USING MESSAGE =
                  'fleetgate ledger: ' || TG_OP || ' on {table} is refused (append-only)'; END;
                $$ LANGUAGE plpgsql""",
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
            ]
        else:
            for op in ("UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'fleetgate ledger: {op} on {table} is refused (append-only)'); END"
                )
    return statements


def drop_sql(vendor: str) -> list[str]:
    statements: list[str] = []
    for table in PROTECTED_TABLES:
        if vendor == "postgresql":
            statements += [
                f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}",
                f"DROP FUNCTION IF EXISTS {table}_append_only()",
            ]
        else:
            statements += [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]
    return statements


install, remove = runs(create_sql), runs(drop_sql)


def create_truncate_sql(vendor: str) -> list[str]:
    if vendor != "postgresql":
        return []
    statements = [
        f"""CREATE OR REPLACE FUNCTION {TRUNCATE_FUNCTION}() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION USING MESSAGE =
          'fleetgate ledger: TRUNCATE on ' || TG_TABLE_NAME || ' is refused (append-only)'; END;
        $$ LANGUAGE plpgsql"""
    ]
    statements += [
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TRUNCATE_FUNCTION}()"
        for table in TRUNCATE_PROTECTED_TABLES
    ]
    return statements


def drop_truncate_sql(vendor: str) -> list[str]:
    if vendor != "postgresql":
        return []
    return [f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}" for t in TRUNCATE_PROTECTED_TABLES] + [
        f"DROP FUNCTION IF EXISTS {TRUNCATE_FUNCTION}()"
    ]


def toggle_truncate_sql(vendor: str, *, enabled: bool) -> list[str]:
    """ALTER TABLE … DISABLE/ENABLE TRIGGER: needs the tables' owner, i.e. whoever ran the migrations."""
    if vendor != "postgresql":
        return []
    verb = "ENABLE" if enabled else "DISABLE"
    return [f"ALTER TABLE {t} {verb} TRIGGER {t}_no_truncate" for t in TRUNCATE_PROTECTED_TABLES]


install_truncate_guard, remove_truncate_guard = runs(create_truncate_sql), runs(drop_truncate_sql)


# The head follows the chain inside the INSERT that extends it, so an append is one statement after the
# head lock instead of two (the lock is held until commit and serialises every writer: issue 16), and
# the database itself refuses an event that does not extend the head it holds.
HEAD_FUNCTION = "fleetgate_ledger_advance_head"
HEAD_TRIGGER = "audit_ledgerevent_advances_head"
NOT_EXTENDING = "does not extend the ledger head (sequence and prev_hash)"


def create_head_sql(vendor: str) -> list[str]:
    # S608: every interpolated name is a constant of this module, none comes from input
    if vendor == "postgresql":
        return [
            f"""CREATE OR REPLACE FUNCTION {HEAD_FUNCTION}() RETURNS trigger AS $$
            BEGIN
              UPDATE audit_ledgerhead SET sequence = NEW.sequence, hash = NEW.hash
               WHERE id = 1 AND sequence = NEW.sequence - 1 AND hash = NEW.prev_hash;
              IF NOT FOUND THEN
                RAISE EXCEPTION USING MESSAGE = 'fleetgate ledger: event ' || NEW.sequence || ' {NOT_EXTENDING}';
              END IF;
              RETURN NULL;
            END; $$ LANGUAGE plpgsql""",  # noqa: S608
            f"CREATE TRIGGER {HEAD_TRIGGER} AFTER INSERT ON audit_ledgerevent "
            f"FOR EACH ROW EXECUTE FUNCTION {HEAD_FUNCTION}()",
        ]
    return [
        f"""CREATE TRIGGER {HEAD_TRIGGER} AFTER INSERT ON audit_ledgerevent
        BEGIN
          SELECT RAISE(ABORT, 'fleetgate ledger: the event {NOT_EXTENDING}') WHERE NOT EXISTS (
            SELECT 1 FROM audit_ledgerhead WHERE id = 1 AND sequence = NEW.sequence - 1 AND hash = NEW.prev_hash
          );
          UPDATE audit_ledgerhead SET sequence = NEW.sequence, hash = NEW.hash WHERE id = 1;
        END"""  # noqa: S608
    ]


def drop_head_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {HEAD_TRIGGER} ON audit_ledgerevent",
            f"DROP FUNCTION IF EXISTS {HEAD_FUNCTION}()",
        ]
    return [f"DROP TRIGGER IF EXISTS {HEAD_TRIGGER}"]


install_head_trigger, remove_head_trigger = runs(create_head_sql), runs(drop_head_sql)
