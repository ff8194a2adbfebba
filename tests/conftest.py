"""Shared test setup. Every test runs on the database FLEETGATE_DATABASE_URL points at (SQLite or
PostgreSQL); `make test` runs the suite once on each."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from tests import factories


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs concurrent connections with row locks: runs on PostgreSQL")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _flushable_ledger() -> Iterator[None]:
    """Transactional tests end with a flush; the append-only triggers would refuse it on SQLite.

    Only test teardown flushes, so only here are the triggers lifted for the duration of the flush.
    PostgreSQL flushes with TRUNCATE, which row triggers do not see.
    """
    if connection.vendor != "sqlite":
        yield
        return
    from django.db.backends.sqlite3.operations import DatabaseOperations

    from fleetgate.audit import triggers

    original = DatabaseOperations.sql_flush

    def sql_flush(self: Any, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        statements = original(self, style, tables, **kwargs)
        if "audit_ledgerevent" in tables:
            return [*triggers.drop_sql("sqlite"), *statements, *triggers.create_sql("sqlite")]
        return list(statements)

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]
    yield
    DatabaseOperations.sql_flush = original  # type: ignore[method-assign]


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
