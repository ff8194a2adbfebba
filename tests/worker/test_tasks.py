"""Periodic tasks run through Huey (immediate mode executes them in-process, same code path)."""

from __future__ import annotations

from typing import Any

import pytest
from huey.contrib.djhuey import HUEY

from fleetgate.audit.models import LedgerCheckpoint
from fleetgate.audit.tasks import sign_ledger_checkpoint
from tests.factories import World


@pytest.fixture
def immediate() -> Any:
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = False


def test_checkpoint_task_signs_head(world: World, immediate: Any) -> None:
    result = sign_ledger_checkpoint.call_local()
    assert result == LedgerCheckpoint.objects.get().sequence
    assert sign_ledger_checkpoint.call_local() is None


def test_checkpoint_task_is_scheduled_every_15_minutes() -> None:
    from datetime import datetime

    assert sign_ledger_checkpoint.s().validate_datetime(datetime(2026, 1, 1, 10, 15))
    assert not sign_ledger_checkpoint.s().validate_datetime(datetime(2026, 1, 1, 10, 16))
