"""CPU spent while holding the ledger head row lock, per event, before and after issue 16's change.

Every write's `audit.record()` locks the single `LedgerHead` row until its transaction commits, so the
work done under the lock bounds how many writes per second the whole installation can commit. Before,
the event was canonicalised (RFC 8785 over the whole content, before/after snapshots included) and
hashed after taking the lock; now everything but the chain's position is canonicalised before it, and
under it only the sequence, the time and the previous hash are encoded and the SHA-256 taken. This
times both in-process (no database: the statements and the commit under the lock are the same before
and after) on an event shaped like an intent update, and writes results/ledger-lock-<timestamp>.json.

    .venv/bin/python bench/ledger_lock_bench.py [-n 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime

import bench_paths

RESULTS = bench_paths.RESULTS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3000, help="events per case (default 3000)")
    args = parser.parse_args()
    os.environ.update(FLEETGATE_DATA_DIR=tempfile.mkdtemp(prefix="fleetgate-ledger-"), FLEETGATE_DATABASE_URL="")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fleetgate.settings")
    import django

    django.setup()
    from fleetgate.audit.models import LedgerEvent
    from fleetgate.audit.services import _canonical_parts, _chain_hash

    snapshot = {
        "id": "0b9d5c1e-8f1a-4d7e-9d55-2b8f2f7a4c11",
        "name": "bench-u200-4c1f0e2d9a7b6c5d",
        "title": "Bench change for 7-Zip",
        "state": "draft",
        "etag": "W/3",
        "application": "7d0f5b8e-6a3c-4f2b-9e1d-0c8b7a6f5e4d",
        "version": "24.9.0",
        "target_boundary": "acme",
        "target_business_unit": "finance",
        "target_site_classes": ["online", "intermittent"],
        "ring_plan": [{"ring": r, "target_group": f"FG-{r.upper()}", "device_count": 40} for r in ("lab", "canary")],
        "rollback_plan": {"strategy": "uninstall", "notes": "Supersede back through Intune."},
        "justification": "Quarterly update with security fixes." * 3,
    }

    def event() -> LedgerEvent:
        return LedgerEvent(
            sequence=0,
            occurred_at=datetime.now(UTC),
            prev_hash="",
            actor_kind="user",
            actor_id="12",
            actor_name="publisher",
            actor_roles=["publisher"],
            action="intent.updated",
            severity="info",
            subject_type="intent",
            subject_id=snapshot["id"],
            before=snapshot,
            after={**snapshot, "title": "edited", "etag": "W/4"},
            reason="",
            correlation_id="5f0c9a7e-1b2d-4c3e-8f9a-0b1c2d3e4f5a",
        )

    def chain(e: LedgerEvent, sequence: int) -> None:
        e.sequence, e.occurred_at, e.prev_hash = sequence, datetime.now(UTC), "ab" * 32

    events = [event() for _ in range(args.n)]
    began = time.process_time()
    for i, e in enumerate(events):  # before: everything under the lock
        chain(e, i + 1)
        e.hash = e.compute_hash()
    before = (time.process_time() - began) / args.n

    events = [event() for _ in range(args.n)]
    parts = [_canonical_parts(e) for e in events]  # outside the lock now
    began = time.process_time()
    for i, (e, p) in enumerate(zip(events, parts, strict=True)):  # after: what is left under the lock
        chain(e, i + 1)
        e.hash = _chain_hash(e, p)
    after = (time.process_time() - began) / args.n
    assert all(e.hash == e.compute_hash() for e in events[:50])

    report = {
        "timestamp": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
        "n": args.n,
        "loadavg": os.getloadavg(),
        "cpu_us_under_lock_per_event": {"before": round(before * 1e6, 1), "after": round(after * 1e6, 1)},
    }
    print(f"CPU under the ledger head lock per event: before {before * 1e6:.0f} us, after {after * 1e6:.0f} us")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"ledger-lock-{report['timestamp']}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"Results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
