"""audit.record() canonicalises an event's content before it takes the ledger head lock and adds the
chain's position under it (issue 16); the hash it stores must be exactly `LedgerEvent.compute_hash()`,
which `fleetgate audit verify` recomputes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fleetgate.audit.models import LedgerEvent
from fleetgate.audit.services import _canonical_parts, _chain_hash

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(before=JSON, after=JSON, reason=st.text(max_size=30), name=st.text(max_size=12), sequence=st.integers(1, 10**12))
def test_the_hash_built_around_the_lock_is_the_events_own(
    before: Any, after: Any, reason: str, name: str, sequence: int
) -> None:
    event = LedgerEvent(
        sequence=0,
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        prev_hash="",
        actor_kind="user",
        actor_id="7",
        actor_name=name,
        actor_roles=["publisher", "auditor"],
        action="intent.updated",
        severity="info",
        subject_type="intent",
        subject_id="a-b",
        before=before,
        after=after,
        reason=reason,
        correlation_id="c0ffee",
    )
    parts = _canonical_parts(event)  # before the lock
    event.sequence, event.occurred_at, event.prev_hash = sequence, datetime.now(UTC), "ab" * 32  # under it
    assert _chain_hash(event, parts) == event.compute_hash()
