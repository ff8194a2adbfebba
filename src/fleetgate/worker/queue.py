"""Which Huey backs the worker: SqliteHuey beside the database, or RedisHuey to scale out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fleetgate.config import settings as cfg


def huey_settings(redis_url: str, data_dir: Path, name: str = "") -> dict[str, Any]:
    """`name` (FLEETGATE_HUEY_NAME) keys the queue in Redis, so installations or test runs sharing one keep apart."""
    consumer = {"workers": 2, "worker_type": "thread", "periodic": True}
    if redis_url:
        return {
            "huey_class": "huey.RedisHuey",
            "name": name or cfg.huey_name,
            "url": redis_url,
            "immediate": False,
            "consumer": consumer,
        }
    return {
        "huey_class": "huey.SqliteHuey",
        "name": "fleetgate",
        "filename": str(data_dir / "queue.sqlite3"),
        "immediate": False,
        "consumer": consumer,
    }
