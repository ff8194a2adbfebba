"""What the rollout engine tells the rest of Fleetgate without knowing who listens.

`rollout_step` is sent inside the transaction of every rollout fact (publish and assign, promote,
halt, rollback, complete, ...), with `intent_id` and `action` (the ledger action). Reconciliation
listens to bring the intent's next pass forward: events speed the level-triggered loop up.
"""

from __future__ import annotations

from django.dispatch import Signal

rollout_step = Signal()
