"""The Redis databases the tests use, one per module that needs its own.

`make test` runs the SQLite and the PostgreSQL pass at the same time against the one local Redis, and
several of these modules flush their database: each pass therefore numbers its databases from its own
FLEETGATE_TEST_REDIS_BASE (the Makefile gives the passes 1 and 8; a plain `pytest` uses 9), so the two
never share one. Redis has databases 0-15; 0 stays the one `make run` uses.
"""

from __future__ import annotations

import os

# A module's place in its pass's block of databases.
THROTTLING, SCALE_OUT, ROLLOUT_CRASH, PROBLEMS, TASKS, BENCHMARKS = range(6)
SLOTS = 6


def redis_url(slot: int) -> str:
    """The URL of this pass's Redis database for `slot` (one of the names above)."""
    if not 0 <= slot < SLOTS:
        raise ValueError(f"slot {slot} is not one of the {SLOTS} this module names")
    base = int(os.environ.get("FLEETGATE_TEST_REDIS_BASE", "9"))
    if not 1 <= base <= 16 - SLOTS:
        raise ValueError(f"FLEETGATE_TEST_REDIS_BASE={base}: must leave {SLOTS} databases between 1 and 15")
    return f"redis://127.0.0.1:6379/{base + slot}"
