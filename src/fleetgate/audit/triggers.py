"""Database triggers that make ledger tables append-only, per backend.

Kept as data so the migration and the tamper tests (which drop them as an attacker would) agree.
"""

from __future__ import annotations

from typing import Any

PROTECTED_TABLES = ("audit_ledgerevent", "audit_ledgercheckpoint")


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


def install(apps: Any, schema_editor: Any) -> None:
    for sql in create_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql)


def remove(apps: Any, schema_editor: Any) -> None:
    for sql in drop_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql)
