"""Shared test setup. Every test runs on the database FLEETGATE_DATABASE_URL points at (SQLite or
PostgreSQL); `make test` runs the suite once on each, except tests/unit: those tests touch no database
(pytest-django refuses a query from a test without the `db` fixture, and none asks for it), so they
run in the SQLite pass only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests import factories

UNIT = Path(__file__).parent / "unit"
DATABASE_FIXTURES = {"db", "transactional_db", "django_db_setup", "world"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unit = database_free_tests(items)
    if connection.vendor == "postgresql":  # tests/unit ran in the SQLite pass
        config.hook.pytest_deselected(items=unit)
        ran = set(unit)
        items[:] = [item for item in items if item not in ran]
        return
    skip = pytest.mark.skip(reason="needs concurrent connections with row locks: runs on PostgreSQL")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _flushable_ledger() -> Iterator[None]:
    """Transactional tests end with a flush, which the ledger's triggers refuse: DELETE (SQLite) and
    TRUNCATE (PostgreSQL). Only test teardown flushes, so only here are the guards lifted, for the length of
    the flush and inside its transaction: SQLite's row triggers are dropped and recreated, PostgreSQL's
    TRUNCATE triggers disabled and re-enabled (which needs the tables' owner; production keeps them on).
    """
    from fleetgate.audit import triggers

    vendor = connection.vendor
    if vendor == "sqlite":
        from django.db.backends.sqlite3.operations import DatabaseOperations as Ops

        lift, restore = triggers.drop_sql("sqlite"), triggers.create_sql("sqlite")
    elif vendor == "postgresql":
        from django.db.backends.postgresql.operations import DatabaseOperations as Ops  # type: ignore[assignment]

        lift = triggers.toggle_truncate_sql(vendor, enabled=False)
        restore = triggers.toggle_truncate_sql(vendor, enabled=True)
    else:  # pragma: no cover - the suite runs on SQLite and PostgreSQL only
        yield
        return
    original = Ops.sql_flush

    def sql_flush(self: Any, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        statements = original(self, style, tables, **kwargs)
        if statements and set(triggers.TRUNCATE_PROTECTED_TABLES) & set(tables):
            return [*lift, *statements, *restore]
        return list(statements)

    Ops.sql_flush = sql_flush  # type: ignore[method-assign]
    yield
    Ops.sql_flush = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db: Any) -> factories.World:
    """One user per role, an application with two versions, in the 'acme' boundary."""
    return factories.World.build()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Expand ResourceAccessTests subclasses over their declared endpoints and every role."""
    endpoints = getattr(metafunc.cls, "endpoints", None)
    if not endpoints or "endpoint" not in metafunc.fixturenames:
        return
    from fleetgate.core.roles import Role

    if "role" in metafunc.fixturenames:
        params = [(e, r) for e in endpoints for r in Role]
        ids = [f"{e}-{r.value}" for e, r in params]
        metafunc.parametrize(("endpoint", "role"), params, ids=ids)
    else:
        metafunc.parametrize("endpoint", endpoints, ids=[str(e) for e in endpoints])


def database_free_tests(items: list[pytest.Item]) -> list[pytest.Item]:
    """The tests of tests/unit; one that asks for the database is refused here, in both passes."""
    unit = [item for item in items if item.path.is_relative_to(UNIT)]
    for item in unit:
        asks = DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())) or item.get_closest_marker("django_db")
        if asks:
            raise pytest.UsageError(f"{item.nodeid} uses the database: move it out of tests/unit")
    return unit
