"""Work that runs inside a transaction just before it commits: Django has `on_commit`, which runs after.

The ledger needs it (issue 16). Every change appends its ledger event in its own transaction, and an
append locks the chain's single head row until commit, so every writer in the installation waits for
the one holding it. Appended where the change records it, the lock was held from there to the end:
through a submit's evidence and risk checks, its CAB routing and the rest of its statements. Queued
with `before_commit` instead, the events are chained and written when the transaction is about to
commit, and the head is locked for that last step only: one SELECT ... FOR UPDATE, the INSERTs, COMMIT.

`connection.before_commit(handler, item)` queues `item`; just before the commit of the outermost
atomic block, each handler is called once with its items, in the order they were queued, inside the
transaction: what it raises rolls the whole transaction back. An item queued inside a savepoint that
is rolled back is dropped with it, as Django drops its `on_commit` callbacks. Inside a test's
transaction (Django's TestCase, pytest-django's `db`), which never commits, the outermost block of
the application's own stands for the commit, so tests see what production commits; queued outside
any block of the application's own, an item is handled at once.

Django's pattern for extending a backend is a backend package whose `DatabaseWrapper` subclasses the
vendor's (as django-prometheus does for its query metrics); settings.DATABASES names these.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

Handler = Callable[[Sequence[Any]], None]
_Entry = tuple[set[str | None], Handler, Any]  # (the savepoints open when queued, handler, item)


def before_commit(handler: Handler, item: Any, using: str = DEFAULT_DB_ALIAS) -> None:
    """Queue `item` for `handler`, called just before the current transaction commits (see above)."""
    connection = connections[using]
    if not isinstance(connection, BeforeCommit):
        raise transaction.TransactionManagementError(
            f"DATABASES[{using!r}] is not one of Fleetgate's backends (fleetgate.core.db.*): no before_commit"
        )
    connection.before_commit(handler, item)


class BeforeCommit:
    """Mixed into a vendor's DatabaseWrapper (first in the MRO)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fleetgate_pending: list[_Entry] = []

    def before_commit(self, handler: Handler, item: Any) -> None:
        if not self.in_atomic_block:  # type: ignore[attr-defined]
            raise transaction.TransactionManagementError("before_commit() needs an atomic block")
        if not self._own_blocks_open():
            handler([item])
            return
        self._fleetgate_pending.append((set(self.savepoint_ids), handler, item))  # type: ignore[attr-defined]

    def commit(self) -> None:
        try:
            self._run_before_commit()
        except BaseException:
            super().rollback()  # type: ignore[misc]
            self._fleetgate_pending = []
            raise
        super().commit()  # type: ignore[misc]

    def savepoint_commit(self, sid: str) -> None:
        if not self._own_blocks_open():  # the application's outermost block is leaving: its commit, in a test
            self._run_before_commit()
        super().savepoint_commit(sid)  # type: ignore[misc]

    def rollback(self) -> None:
        self._fleetgate_pending = []
        super().rollback()  # type: ignore[misc]

    def savepoint_rollback(self, sid: str) -> None:
        super().savepoint_rollback(sid)  # type: ignore[misc]
        self._fleetgate_pending = [entry for entry in self._fleetgate_pending if sid not in entry[0]]

    def close(self) -> None:
        self._fleetgate_pending = []
        super().close()  # type: ignore[misc]

    def _own_blocks_open(self) -> bool:
        """Whether an atomic block of the application's own (not a test case's) is still open."""
        return any(not block._from_testcase for block in self.atomic_blocks)  # type: ignore[attr-defined]

    def _run_before_commit(self) -> None:
        pending, self._fleetgate_pending = self._fleetgate_pending, []
        groups: dict[Handler, list[Any]] = {}
        for _, handler, item in pending:
            groups.setdefault(handler, []).append(item)
        for handler, items in groups.items():
            handler(items)
