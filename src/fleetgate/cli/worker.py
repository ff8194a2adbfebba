"""`fleetgate worker`: a Huey consumer; `--scheduler` on exactly one of them across machines.

DESIGN.md: RedisHuey to scale out, many consumers, one scheduler. Every consumer runs tasks (and the
retries and delays Huey schedules for them); only the one started with `--scheduler` enqueues the
periodic tasks (the engine tick, ledger checkpoints), so a tick never runs twice per minute.
"""

from __future__ import annotations

import typer

from fleetgate.cli.common import console, setup_django


def worker(
    scheduler: bool = typer.Option(
        False, "--scheduler", help="Also enqueue the periodic tasks: exactly one worker across machines"
    ),
    workers: int = typer.Option(2, "--workers", min=1, help="Worker threads in this consumer"),
    quiet: bool = typer.Option(False, "--quiet", help="Log only warnings and errors"),
) -> None:
    """Run a background worker until SIGINT/SIGTERM (Redis when FLEETGATE_REDIS_URL is set, else SQLite)."""
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    backend = settings.HUEY.get("url") or settings.HUEY.get("filename")
    role = "consumer + scheduler" if scheduler else "consumer (periodic tasks off)"
    if not quiet:
        console.print(f"Fleetgate worker: {role}, {workers} threads, queue {settings.HUEY['name']} at {backend}")
    call_command(
        "run_huey", workers=workers, worker_type="thread", periodic=scheduler, verbose=False if quiet else None
    )
