"""Crash safety: two `fleetgate worker` processes on PostgreSQL + Redis drive a rollout Lab → Canary
while one of them is SIGKILLed at random moments 20 times (and restarted each time). The rollout
still completes, the plane never saw a publish or an assignment twice, and the ledger verifies.

The engine's lease on the rollout row is what a killed worker leaves behind; the workers run with
FLEETGATE_ROLLOUT_LEASE_SECONDS=4 so a dead worker's claim lapses in seconds, and on the demo clock
(FLEETGATE_DEMO=1, FLEETGATE_DEMO_TIME_SCALE) with the simulated fleet at the same speed, so a
policy day of soak takes seconds.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from django.db import connection
from huey import RedisHuey

from fleetgate.approvals import services as approvals
from fleetgate.audit.verify import verify_chain
from fleetgate.connectors import services as connectors
from fleetgate.core.roles import Role
from fleetgate.intents.states import State
from fleetgate.rollouts import tasks
from fleetgate.rollouts.models import Rollout
from fleetgate.rollouts.services import engine
from fleetsim.fleet import Fleet, GroupSpec
from fleetsim.planes import SIMULATORS
from fleetsim.planes import connection as sim_connection
from fleetsim.server import Running, start
from tests.factories import World, events_of, sealed_intent
from tests.redis_dbs import ROLLOUT_CRASH, redis_url

REDIS_URL = redis_url(ROLLOUT_CRASH)  # this test's own database; each run also has its own queue name
SCALE = 14400.0  # policy seconds per real second: a 24 h soak is 6 s
LEASE_SECONDS = 4
KILLS = 20
DEADLINE_S = 240.0
PLAN = [
    {"ring": "lab", "target_group": "FG-LAB", "device_count": 8},
    {"ring": "canary", "target_group": "FG-CANARY", "device_count": 40},
]


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),  # committed rows: the workers are other processes
    pytest.mark.slow,  # about a minute and a half: 20 worker restarts
    pytest.mark.skipif(not _redis_up(), reason=f"needs a Redis server at {REDIS_URL} (RedisHuey across processes)"),
]


def _database_url() -> str:
    """The test database pytest-django created, as a URL the worker processes can reach."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@dataclass
class Workers:
    """The `fleetgate worker` processes: index 0 runs the scheduler, index 1 is a plain consumer."""

    env: dict[str, str]
    logs: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    current: dict[int, Path] = field(default_factory=dict)
    starts: int = 0

    def argv(self, index: int) -> list[str]:
        extra = ["--scheduler"] if index == 0 else []
        return [sys.executable, "-m", "fleetgate.cli.main", "worker", "--workers", "2", *extra]

    def spawn(self, index: int) -> subprocess.Popen[bytes]:
        self.starts += 1
        self.current[index] = self.logs / f"worker-{index}-{self.starts}.log"
        out = self.current[index].open("wb")
        return subprocess.Popen(self.argv(index), env=self.env, stdout=out, stderr=subprocess.STDOUT)

    def ready(self) -> list[int]:
        """The workers that have set Django up and entered the consumer (their banner line is out)."""
        return [i for i, path in self.current.items() if "Fleetgate worker:" in path.read_text(errors="replace")]

    def wait_ready(self, count: int = 2, within: float = 60.0) -> list[int]:
        until = time.monotonic() + within
        while len(up := self.ready()) < count and time.monotonic() < until:
            time.sleep(0.05)
        return up

    def start(self) -> None:
        self.procs = [self.spawn(0), self.spawn(1)]

    def kill_and_restart(self, index: int) -> None:
        victim = self.procs[index]
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        self.procs[index] = self.spawn(index)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)

    def tail(self, lines: int = 30) -> str:
        text = []
        for path in sorted(self.logs.glob("worker-*.log"))[-4:]:
            text.append(f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:]))
        return "\n".join(text)


@pytest.fixture
def plane() -> Iterator[Running]:
    groups = (GroupSpec("FG-LAB", 8), GroupSpec("FG-CANARY", 40))
    fleet = Fleet(seed=11, groups=groups, success_probability=1.0, late_fraction=0.0, speed=SCALE)
    handle = start(SIMULATORS["sccm"](seed=11, fleet=fleet))
    # Every plane write takes 0.4 s: a kill lands between "the plane acted" and "Fleetgate recorded it"
    handle.app.faults.add("timeout", method="POST", times=-1, delay=0.4)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def queue_name() -> Iterator[str]:
    name = f"fleetgate-crash-{uuid.uuid4().hex[:12]}"
    yield name
    RedisHuey(name, url=REDIS_URL).flush()


@pytest.fixture
def workers(tmp_path: Path, queue_name: str) -> Iterator[Workers]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fleetgate.settings",
        "FLEETGATE_DATABASE_URL": _database_url(),
        "FLEETGATE_REDIS_URL": REDIS_URL,
        "FLEETGATE_HUEY_NAME": queue_name,
        "FLEETGATE_DEMO": "1",
        "FLEETGATE_DEMO_TIME_SCALE": str(SCALE),
        "FLEETGATE_ROLLOUT_LEASE_SECONDS": str(LEASE_SECONDS),
        "FLEETGATE_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",  # the banner reaches the log at once: it says the worker is up
    }
    crew = Workers(env=env, logs=tmp_path)
    try:
        yield crew
    finally:
        crew.stop()


def _approved_intent(world: World, plane: Running) -> Any:
    connectors.create(actor=world.actors[Role.PLATFORM_ADMIN], data={**sim_connection(plane.app), "name": "crash-sccm"})
    sealed = sealed_intent(world, ring_plan=PLAN, rollback_plan={"strategy": "uninstall"})
    intent = approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
    assert intent.state == State.APPROVED
    return intent


def _lease_held(intent_id: Any, within: float) -> bool:
    """Whether some worker holds the rollout's lease, polling for up to `within` seconds."""
    until = time.monotonic() + within
    while True:
        if Rollout.objects.filter(intent_id=intent_id).exclude(lease_owner="").exists():
            return True
        if time.monotonic() >= until:
            return False
        time.sleep(0.02)


def _status(intent_id: Any) -> str:
    rollout = Rollout.objects.filter(intent_id=intent_id).first()
    return rollout.status if rollout else "none"


def test_rollout_survives_twenty_sigkills(world: World, plane: Running, workers: Workers, queue_name: str) -> None:
    intent = _approved_intent(world, plane)
    engine.start(actor=world.publisher, intent_id=intent.pk)  # on_commit enqueues here; the driver below for Redis
    queue = RedisHuey(queue_name, url=REDIS_URL)
    advance = queue.task()(tasks.advance_rollout.func)  # the same task name the workers registered
    rng = random.Random(int(os.environ.get("FLEETGATE_CRASH_SEED", "0")) or None)
    seed = rng.randrange(1 << 30)
    rng.seed(seed)
    workers.start()
    workers.wait_ready()
    began = time.monotonic()
    kills, mid_advance, completed_at, deadline = 0, 0, None, began + DEADLINE_S
    next_kill = time.monotonic() + rng.uniform(0.3, 2.0)
    while time.monotonic() < deadline:
        done = _status(intent.pk) == Rollout.Status.COMPLETED
        if done and completed_at is None:
            completed_at = time.monotonic() - began
        if done and kills >= KILLS:
            break
        if not done and queue.pending_count() < 4:
            advance(str(intent.pk))  # events and the tick enqueue advances; here the test stands in for them
        if kills < KILLS and time.monotonic() >= next_kill:
            if rng.random() < 0.7:  # most kills wait for a worker to be mid-advance (the lease held)
                _lease_held(intent.pk, within=1.5)
            mid_advance += _lease_held(intent.pk, within=0)
            workers.kill_and_restart(rng.choice(workers.wait_ready(count=1)))  # a working one, not one starting
            kills += 1
            next_kill = time.monotonic() + rng.uniform(0.1, 1.0)
        time.sleep(0.2)
    status = _status(intent.pk)
    intent.refresh_from_db()
    context = (
        f"seed {seed} (FLEETGATE_CRASH_SEED): {kills} kills ({mid_advance} while a lease was held), "
        f"rollout {status} after {completed_at} s\n{workers.tail()}"
    )
    print(context.splitlines()[0])  # shown with -s: how many kills landed mid-advance
    assert (kills, status, intent.state) == (KILLS, Rollout.Status.COMPLETED, State.COMPLETED), context

    counters = plane.app.counters
    assert counters.count("assign") >= 2, context  # one assignment per ring at least: the plane was really driven
    assert counters.duplicates() == [], context
    seen = events_of(intent.pk)
    assert seen.count("rollout.completed") == 1
    assert seen.count("rollout.promoted") == 1  # lab → canary exactly once, however often it was interrupted
    verdict = verify_chain()
    assert verdict.ok, verdict.problem
