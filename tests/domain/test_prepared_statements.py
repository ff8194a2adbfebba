"""PostgreSQL plans a statement a connection repeats once: server-side binding (FLEETGATE_DB_PREPARE, issue 16)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import connection

from fleetgate.audit import queries as ledger
from fleetgate.core.roles import Role
from tests.factories import World


def _options(**env: str) -> str:
    code = "from django.conf import settings; print(settings.DATABASES['default'].get('OPTIONS'))"
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "fleetgate.settings", **env}
    out = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True)
    return out.stdout


def test_server_side_binding_is_on_for_postgresql_unless_turned_off() -> None:
    url = "postgres://postgres@127.0.0.1:5432/unused"
    on = _options(FLEETGATE_DATABASE_URL=url)
    assert "'server_side_binding': True" in on
    assert "'prepare_threshold': 5" in on
    off = _options(FLEETGATE_DATABASE_URL=url, FLEETGATE_DB_PREPARE="0")
    assert "server_side_binding" not in off
    assert "prepare_threshold" not in off
    assert "server_side_binding" not in _options(FLEETGATE_DATABASE_URL="")  # SQLite has no such thing


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_a_repeated_scoped_ledger_read_is_prepared_once_and_reads_the_same_rows() -> None:
    world = World.build()
    world.intent()
    reader = world.actors[Role.PUBLISHER]
    first = list(ledger.events(reader).order_by("-sequence").values_list("sequence", flat=True)[:20])
    for _ in range(6):  # psycopg prepares a statement on its 5th run on a connection (prepare_threshold)
        again = list(ledger.events(reader).order_by("-sequence").values_list("sequence", flat=True)[:20])
        assert again == first
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ["%audit_ledgerevent%"])
        prepared = [row[0] for row in cursor.fetchall()]
    assert prepared, "the scoped ledger read was not prepared"
    world.intent()  # a new event: the prepared statement reads current rows, not a cached answer
    latest = list(ledger.events(reader).order_by("-sequence").values_list("sequence", flat=True)[:20])
    assert latest[0] > first[0]
