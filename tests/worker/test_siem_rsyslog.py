"""The ledger streamed to a real receiver: Debian's rsyslogd, started by the test on a free 127.0.0.1 port
with imtcp (plain TCP, and GnuTLS for RFC 5425), writing every message it receives to a file.

What "exactly once by sequence" means here, precisely: the receiver is stopped in the middle of a pass and
restarted later; meanwhile the ledger keeps growing. Afterwards every ledger sequence 1..head was received
at least once, and deduplicated by the sequence key (SD-PARAM `seq`) each is there exactly once, first
seen in ledger order. A sequence received more than once must lie in a batch the streamer reported as not
accepted (the batch in flight when the receiver went away): those are at-least-once resends, and the
sequence in the payload is what lets the receiver drop them."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.audit.models import LedgerEvent
from fleetgate.core import actors
from fleetgate.core.roles import Role
from fleetgate.siem import services, tasks
from fleetgate.siem.models import Destination
from tests.factories import World
from tests.fixtures.siem.receivers import Pki, Rsyslog, make_pki, require_rsyslog

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path)


def _receiver(tmp_path: Path, pki: Pki | None, client_ca: Pki | None = None) -> Rsyslog:
    require_rsyslog(tls=pki is not None)
    folder = tmp_path / "rsyslog"
    folder.mkdir(exist_ok=True)
    receiver = Rsyslog(folder, tls=pki, client_ca=client_ca)
    receiver.start()
    return receiver


@pytest.fixture
def stopper() -> Iterator[list[Rsyslog]]:
    started: list[Rsyslog] = []
    yield started
    for receiver in started:
        receiver.stop()


def _events(count: int) -> None:
    with transaction.atomic():
        for i in range(count):
            audit.record(actor=actors.SYSTEM, action="siem.test_fill", subject_type="test", subject_id=i)


def _head() -> int:
    return LedgerEvent.objects.order_by("-sequence").values_list("sequence", flat=True)[0]


def _destination(world: World, receiver: Rsyslog, kind: str, fmt: str, **extra: Any) -> Destination:
    data: dict[str, Any] = {
        "name": f"rsyslog-{kind}",
        "kind": kind,
        "host": "127.0.0.1",
        "port": receiver.port,
        "format": fmt,
        "batch_size": 5,
        **extra,
    }
    if receiver.tls is not None:
        data["tls_ca_pem"] = receiver.tls.ca_pem
    return services.create(actor=world.actors[Role.PLATFORM_ADMIN], data=data)


@pytest.mark.parametrize(("kind", "fmt"), [("syslog-tcp", "cef"), ("syslog-tls", "json"), ("syslog-tls", "cef")])
def test_every_event_arrives_exactly_once_by_sequence_across_a_receiver_restart(
    world: World, tmp_path: Path, pki: Pki, stopper: list[Rsyslog], kind: str, fmt: str
) -> None:
    receiver = _receiver(tmp_path, pki if kind == "syslog-tls" else None)
    stopper.append(receiver)
    destination = _destination(world, receiver, kind, fmt)
    _events(200)

    # Stop the receiver (SIGTERM) from another thread once it holds 40 messages: mid-pass.
    def stop_midway() -> None:
        deadline = time.monotonic() + 30
        while len(receiver.lines()) < 40 and time.monotonic() < deadline:
            time.sleep(0.005)
        receiver.stop()

    watcher = threading.Thread(target=stop_midway)
    watcher.start()
    failed: list[tuple[int, int]] = []
    clock = timezone.now()
    deadline = time.monotonic() + 60
    while not failed and time.monotonic() < deadline:  # until the streamer has seen the outage
        outcome = services.stream(destination.pk, now=clock)
        if outcome.failed_range:
            failed.append(outcome.failed_range)
        else:
            _events(5)
    watcher.join()
    assert failed, "the streamer never saw the receiver stop"
    during = Destination.objects.get(pk=destination.pk)
    assert during.acknowledged_sequence < _head()
    assert during.last_error
    assert during.consecutive_failures == 1

    # The ledger keeps growing during the outage; a pass while it is down acknowledges nothing.
    _events(25)
    clock += timedelta(minutes=1)
    outcome = services.stream(destination.pk, now=clock)
    assert outcome.sent == 0
    assert outcome.failed_range
    assert "ConnectionRefused" in outcome.error
    failed.append(outcome.failed_range)
    assert Destination.objects.get(pk=destination.pk).acknowledged_sequence == during.acknowledged_sequence

    receiver.start()  # same port, same file: the receiver is back
    while Destination.objects.get(pk=destination.pk).acknowledged_sequence < _head():
        clock += timedelta(minutes=15)  # past any backoff
        outcome = services.stream(destination.pk, now=clock)
        assert outcome.error == "", outcome.error
    receiver.stop()

    head = _head()
    received = receiver.sequences()
    assert set(received) == set(range(1, head + 1)), "every ledger sequence arrived"
    assert list(dict.fromkeys(received)) == list(range(1, head + 1)), "deduplicated by sequence: once each, in order"
    resent = {seq for seq, count in Counter(received).items() if count > 1}
    assert all(any(low <= seq <= high for low, high in failed) for seq in resent), (resent, failed)
    row = Destination.objects.get(pk=destination.pk)
    assert (row.acknowledged_sequence, row.consecutive_failures, row.last_error) == (head, 0, "")
    assert row.failures_total == len(failed)

    line = next(x for x in receiver.lines() if 'seq="7"' in x)
    event = LedgerEvent.objects.get(sequence=7)
    assert f'hash="{event.hash}"' in line
    if fmt == "cef":
        assert line.split("] ", 1)[1].startswith("CEF:0|Fleetgate|Fleetgate|")
        assert " externalId=7 " in line
        assert f"cs3={event.hash}" in line
    else:
        assert json.loads(line.split("] ", 1)[1]) == event.as_export()


def test_mutual_tls_needs_the_client_certificate(
    world: World, tmp_path: Path, pki: Pki, stopper: list[Rsyslog]
) -> None:
    client = make_pki(tmp_path, client=True)
    receiver = _receiver(tmp_path, pki, client_ca=client)
    stopper.append(receiver)
    # the receiver trusts only the client CA, so the server certificate is checked against pki's CA here
    anonymous = _destination(world, receiver, "syslog-tls", "cef", tls_ca_pem=pki.ca_pem)
    assert services.stream(anonymous.pk).failed_range is not None
    mutual = services.create(
        actor=world.actors[Role.PLATFORM_ADMIN],
        data={
            "name": "rsyslog-mtls",
            "kind": "syslog-tls",
            "host": "127.0.0.1",
            "port": receiver.port,
            "tls_ca_pem": pki.ca_pem,
            "tls_client_cert_pem": client.cert_pem,
            "secrets": {"client_key_pem": client.key_pem},
        },
    )
    assert services.stream(mutual.pk).sent == _head()
    assert receiver.sequences() == list(range(1, _head() + 1))


def test_the_periodic_task_streams_every_enabled_destination(
    world: World, tmp_path: Path, stopper: list[Rsyslog]
) -> None:
    receiver = _receiver(tmp_path, None)
    stopper.append(receiver)
    _destination(world, receiver, "syslog-tcp", "cef")
    _events(12)
    assert tasks.stream_ledger_to_siems.call_local() == _head()
    assert tasks.stream_ledger_to_siems.call_local() == 0
    _events(3)
    assert tasks.stream_destination.call_local(Destination.objects.get().pk) == 3
    assert receiver.sequences() == list(range(1, _head() + 1))
