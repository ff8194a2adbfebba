"""`fleetgate worker`: every worker consumes; only `--scheduler` enqueues periodic tasks; `up` runs one of those."""

from __future__ import annotations

from typing import Any

import pytest
from huey.consumer import Consumer
from typer.testing import CliRunner

from fleetgate.cli import main

runner = CliRunner()


@pytest.fixture
def consumers(monkeypatch: pytest.MonkeyPatch) -> list[Consumer]:
    """The consumers run_huey builds (for real, from our options), stopped before they would run."""
    built: list[Consumer] = []
    monkeypatch.setattr(Consumer, "run", lambda self: built.append(self))
    return built


def test_worker_with_scheduler_runs_the_periodic_tasks(consumers: list[Consumer]) -> None:
    result = runner.invoke(main.app, ["worker", "--scheduler", "--workers", "3"])
    assert result.exit_code == 0, result.output
    [consumer] = consumers
    assert (consumer.periodic, consumer.workers, consumer.worker_type) == (True, 3, "thread")
    assert consumer._create_scheduler().periodic is True
    assert "consumer + scheduler" in result.output


def test_worker_without_scheduler_only_consumes(consumers: list[Consumer]) -> None:
    result = runner.invoke(main.app, ["worker"])
    assert result.exit_code == 0, result.output
    [consumer] = consumers
    assert (consumer.periodic, consumer.workers) == (False, 2)
    # the scheduler thread still runs (delayed tasks and retries), without enqueueing periodic ones
    assert consumer._create_scheduler().periodic is False
    assert "periodic tasks off" in result.output


def test_quiet_worker_prints_nothing(consumers: list[Consumer]) -> None:
    result = runner.invoke(main.app, ["worker", "--quiet"])
    assert result.exit_code == 0
    assert result.output == ""
    assert len(consumers) == 1


def test_up_runs_exactly_one_worker_and_it_schedules(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[list[str]] = []

    class Child:
        def __init__(self, argv: list[str], **kwargs: Any) -> None:
            started.append(argv)

    monkeypatch.setattr(main, "migrate", lambda: None)
    monkeypatch.setattr(main.subprocess, "Popen", Child)
    monkeypatch.setattr(main, "_supervise", lambda children: None)
    result = runner.invoke(main.app, ["up"])
    assert result.exit_code == 0, result.output
    workers = [argv for argv in started if "worker" in argv]
    assert len(workers) == 1
    assert "--scheduler" in workers[0]
