"""A web worker imports its views and freezes start-up's objects before its first request (issue 16)."""

from __future__ import annotations

import gc
import sys

from fleetgate.api.gunicorn_conf import warm_and_freeze


def test_views_are_imported_and_startup_objects_frozen() -> None:
    try:
        warm_and_freeze()
        assert gc.get_freeze_count() > 10_000
        assert "fleetgate.intents.api" in sys.modules
    finally:
        gc.unfreeze()
