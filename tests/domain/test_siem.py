"""SIEM destinations: configuration by a Platform Admin (each change a ledger event, secrets sealed),
and the outbox streaming to a real HTTPS receiver answering like Splunk HEC: in order, resumed after a
refusal from the acknowledged sequence, backing off, never skipping, one sender per destination."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.audit.models import LedgerEvent
from fleetgate.core import actors
from fleetgate.core.errors import Conflict, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from fleetgate.core.roles import Role
from fleetgate.siem import metrics, services
from fleetgate.siem.models import Destination
from fleetgate.siem.services import streaming
from tests.factories import World
from tests.fixtures.siem.receivers import HecServer, make_pki

pytestmark = pytest.mark.django_db
R = Role
TOKEN = "0b5d2b7e-hec-token-for-tests"


@pytest.fixture
def hec(tmp_path: Path) -> Iterator[HecServer]:
    server = HecServer(make_pki(tmp_path), TOKEN).start()
    yield server
    server.stop()


def _admin(world: World) -> Any:
    return world.actors[R.PLATFORM_ADMIN]


def _hec_destination(world: World, hec: HecServer, **overrides: Any) -> Destination:
    data = {
        "name": "splunk",
        "kind": "https-hec",
        "host": "127.0.0.1",
        "port": hec.port,
        "tls_ca_pem": hec.pki.ca_pem,
        "secrets": {"token": TOKEN},
        "batch_size": 4,
        **overrides,
    }
    return services.create(actor=_admin(world), data=data)


def _events(count: int) -> None:
    with transaction.atomic():
        for i in range(count):
            audit.record(actor=actors.SYSTEM, action="siem.test_fill", subject_type="test", subject_id=i)


def _head() -> int:
    return LedgerEvent.objects.order_by("-sequence").values_list("sequence", flat=True)[0]


def test_configuration_is_for_platform_admins_and_every_change_is_a_ledger_event(world: World, hec: HecServer) -> None:
    destination = _hec_destination(world, hec)
    assert destination.path == "/services/collector/event"
    assert destination.secret_names == ["token"]
    assert TOKEN not in destination.secrets_ciphertext
    created = LedgerEvent.objects.get(action="siem_destination.created")
    assert TOKEN not in json.dumps(created.after)
    assert created.after["secret_names"] == ["token"]
    for role in set(R) - {R.PLATFORM_ADMIN}:
        with pytest.raises(Forbidden):
            services.set_enabled(actor=world.actors[role], destination_id=destination.pk, enabled=False)
    with pytest.raises(Conflict):
        _hec_destination(world, hec)
    with pytest.raises(PreconditionFailed):
        services.update(actor=_admin(world), destination_id=destination.pk, changes={"port": 1}, expected_etag='"x"')
    updated = services.update(
        actor=_admin(world),
        destination_id=destination.pk,
        changes={"batch_size": 9, "secrets": {"token": "new"}},
        expected_etag=destination.etag,
    )
    assert (updated.batch_size, updated.revision, services.destinations.unseal(updated)) == (9, 2, {"token": "new"})
    services.set_enabled(actor=_admin(world), destination_id=destination.pk, enabled=False)
    services.set_enabled(actor=_admin(world), destination_id=destination.pk, enabled=True)
    services.delete(actor=_admin(world), destination_id=destination.pk)
    actions = list(
        LedgerEvent.objects.filter(subject_type="siem_destination")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == [
        "siem_destination.created",
        "siem_destination.updated",
        "siem_destination.disabled",
        "siem_destination.enabled",
        "siem_destination.deleted",
    ]
    assert LedgerEvent.objects.get(action="siem_destination.updated").after["secrets_changed"] == ["token"]
    with pytest.raises(NotFound):
        services.delete(actor=_admin(world), destination_id=destination.pk)


def test_bad_configuration_names_every_field_and_rule(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.create(
            actor=_admin(world),
            data={
                "name": "x",
                "kind": "https-hec",
                "host": "bad host",
                "port": 70000,
                "format": "cef",
                "path": "no-slash",
                "tls_ca_pem": "not a pem",
                "batch_size": 0,
                "secrets": {"password": "p"},
            },
        )
    rules = {(e.field, e.rule) for e in caught.value.errors}
    assert rules == {
        ("host", "hostname"),
        ("port", "range"),
        ("format", "json-only"),
        ("path", "url-path"),
        ("tls_ca_pem", "pem-certificates"),
        ("batch_size", "range"),
        ("secrets.password", "choice"),
    }
    with pytest.raises(ValidationFailed) as caught:
        services.create(
            actor=_admin(world),
            data={"name": "t", "kind": "syslog-tcp", "host": "h", "port": 514, "path": "/x", "tls_server_name": "h"},
        )
    assert {(e.field, e.rule) for e in caught.value.errors} == {("path", "https-only"), ("tls_server_name", "tls-only")}
    with pytest.raises(ValidationFailed) as caught:
        services.create(actor=_admin(world), data={"name": "h", "kind": "https-hec", "host": "h", "port": 8088})
    assert [(e.field, e.rule) for e in caught.value.errors] == [("secrets.token", "required")]
    with pytest.raises(ValidationFailed) as caught:
        services.create(actor=_admin(world), data={"name": "k", "kind": "kafka", "host": "h", "port": 1})
    assert [(e.field, e.rule) for e in caught.value.errors] == [("kind", "choice")]
    assert not Destination.objects.exists()


def test_hec_receives_every_event_in_order_with_the_sequence_as_key(world: World, hec: HecServer) -> None:
    destination = _hec_destination(world, hec)
    _events(9)
    outcome = services.stream(destination.pk)
    head = _head()
    assert (outcome.sent, outcome.acknowledged_sequence, outcome.error) == (head, head, "")
    assert outcome.batches == -(-head // 4)  # batches of 4
    sequences = [e["event"]["sequence"] for e in hec.received]
    assert sequences == list(range(1, head + 1))
    assert [e["fields"]["sequence"] for e in hec.received] == sequences
    first = hec.received[0]
    assert (first["sourcetype"], first["source"]) == ("fleetgate:ledger", "fleetgate")
    assert first["event"] == LedgerEvent.objects.get(sequence=1).as_export()
    assert {h["Authorization"] for _, h in hec.requests} == {f"Splunk {TOKEN}"}
    assert services.stream(destination.pk).sent == 0  # caught up: nothing sent twice


def test_a_refused_batch_is_resent_from_the_acknowledged_sequence_after_backoff(world: World, hec: HecServer) -> None:
    destination = _hec_destination(world, hec)
    now = timezone.now()
    assert services.stream(destination.pk, now=now).sent == _head()
    acked = _head()
    _events(6)
    hec.refuse_with = (503, {"text": "Server is busy", "code": 9})
    failed = services.stream(destination.pk, now=now)
    assert failed.sent == 0
    assert failed.failed_range == (acked + 1, acked + 4)
    assert "code 9: Server is busy" in failed.error
    row = Destination.objects.get(pk=destination.pk)
    assert (row.acknowledged_sequence, row.consecutive_failures, row.failures_total) == (acked, 1, 1)
    assert row.next_attempt_at == now + timedelta(seconds=15)
    hec.refuse_with = None
    assert services.stream(destination.pk, now=now + timedelta(seconds=5)).sent == 0  # still backing off
    hec.refuse_with = (200, {"text": "Invalid data format", "code": 6})  # a 200 is not enough for HEC
    services.stream(destination.pk, now=now + timedelta(seconds=16))
    assert Destination.objects.get(pk=destination.pk).next_attempt_at == now + timedelta(seconds=16 + 30)
    hec.refuse_with = None
    resumed = services.stream(destination.pk, now=now + timedelta(minutes=5))
    assert resumed.sent == _head() - acked
    assert resumed.acknowledged_sequence == _head()
    assert [e["event"]["sequence"] for e in hec.received] == list(range(1, _head() + 1))
    row = Destination.objects.get(pk=destination.pk)
    assert (row.consecutive_failures, row.failures_total, row.last_error, row.next_attempt_at) == (0, 2, "", None)


def test_a_wrong_token_is_a_failure_and_never_acknowledges(world: World, hec: HecServer) -> None:
    destination = _hec_destination(world, hec, secrets={"token": "wrong"})
    outcome = services.stream(destination.pk)
    assert outcome.sent == 0
    assert "HTTP 401" in outcome.error
    assert Destination.objects.get(pk=destination.pk).acknowledged_sequence == 0


def test_an_unverifiable_certificate_is_refused_unless_verification_is_off(world: World, hec: HecServer) -> None:
    destination = _hec_destination(world, hec, tls_ca_pem="")
    assert "CERTIFICATE_VERIFY_FAILED" in services.stream(destination.pk).error
    loose = _hec_destination(world, hec, name="loose", tls_ca_pem="", tls_verify=False)
    assert services.stream(loose.pk).sent == _head()


def test_https_json_posts_an_array_of_ledger_events(world: World, hec: HecServer) -> None:
    destination = services.create(
        actor=_admin(world),
        data={
            "name": "generic",
            "kind": "https-json",
            "host": "localhost",
            "port": hec.port,
            "path": "/ingest",
            "tls_ca_pem": hec.pki.ca_pem,
            "tls_server_name": "localhost",
        },
    )
    assert destination.format == "json"
    outcome = services.stream(destination.pk)
    assert outcome.error.startswith("HTTP 401")
    assert hec.requests[-1][1].get("Authorization") is None
    services.update(
        actor=_admin(world), destination_id=destination.pk, changes={"secrets": {"token": TOKEN}}, expected_etag=None
    )
    Destination.objects.filter(pk=destination.pk).update(next_attempt_at=None)
    assert services.stream(destination.pk).sent == _head()
    assert hec.requests[-1][1]["Authorization"] == f"Bearer {TOKEN}"
    assert hec.received == [e.as_export() for e in LedgerEvent.objects.filter(sequence__lte=len(hec.received))]
    assert [e["sequence"] for e in hec.received] == list(range(1, _head() + 1))


def test_one_sender_per_destination_and_a_lapsed_lease_resends(world: World, hec: HecServer) -> None:
    destination = _hec_destination(world, hec)
    now = timezone.now()
    claim = streaming._claim(destination.pk, now)
    assert claim is not None
    assert streaming._claim(destination.pk, now + timedelta(seconds=30)) is None  # leased: nobody else sends
    later = streaming._claim(destination.pk, now + streaming.LEASE + timedelta(seconds=1))  # the first one died
    assert later is not None
    assert [e.sequence for e in later.events] == [e.sequence for e in claim.events]
    assert streaming._settle(claim, now, "") is None  # the lapsed claim may not move the mark
    assert Destination.objects.get(pk=destination.pk).acknowledged_sequence == 0
    assert streaming._settle(later, now, "") is not None
    assert Destination.objects.get(pk=destination.pk).acknowledged_sequence == later.events[-1].sequence


def test_disabled_destinations_wait_in_place(world: World, hec: HecServer) -> None:
    destination = _hec_destination(world, hec, enabled=False)
    assert services.stream_all() == []
    assert services.stream(destination.pk).sent == 0
    services.set_enabled(actor=_admin(world), destination_id=destination.pk, enabled=True)
    assert services.stream_all()[0].sent == _head()


def test_a_gap_in_the_ledger_stops_the_stream_there(world: World, hec: HecServer) -> None:
    destination = _hec_destination(world, hec)
    Destination.objects.filter(pk=destination.pk).update(acknowledged_sequence=-1)  # as if sequence 0 were lost
    outcome = services.stream(destination.pk)
    row = Destination.objects.get(pk=destination.pk)
    assert outcome.sent == 0
    assert hec.received == []
    assert "Ledger sequence 0 is missing" in row.last_error
    assert row.consecutive_failures == 1


def test_only_the_streamer_streams() -> None:
    with pytest.raises(Forbidden):
        services.stream(1, actor=actors.SCHEDULER)


def test_send_test_event_is_recorded(world: World, hec: HecServer) -> None:
    destination = _hec_destination(world, hec)
    outcome = services.send_test(actor=_admin(world), destination_id=destination.pk)
    assert outcome.ok
    assert hec.received[-1]["event"]["sequence"] == 0
    assert hec.received[-1]["event"]["test"]
    hec.refuse_with = (403, {"text": "Token disabled", "code": 1})
    failed = services.send_test(actor=_admin(world), destination_id=destination.pk)
    assert not failed.ok
    assert "Token disabled" in failed.detail
    tested = LedgerEvent.objects.filter(action="siem_destination.tested").order_by("sequence")
    assert [e.after["ok"] for e in tested] == [True, False]
    with pytest.raises(Forbidden):
        services.send_test(actor=world.actors[R.AUDITOR], destination_id=destination.pk)
    with pytest.raises(NotFound):
        services.send_test(actor=_admin(world), destination_id=destination.pk + 100)
    assert Destination.objects.get(pk=destination.pk).acknowledged_sequence == 0  # a probe is no ledger event


def test_metrics_show_lag_and_failures(world: World, hec: HecServer) -> None:
    destination = _hec_destination(world, hec)
    metrics.refresh()
    assert metrics.LAG.labels("splunk")._value.get() == _head()
    hec.refuse_with = (503, {"text": "busy", "code": 9})
    before = metrics.FAILURES.labels("splunk", "https-hec")._value.get()
    services.stream(destination.pk)
    assert metrics.FAILURES.labels("splunk", "https-hec")._value.get() == before + 1
    assert metrics.FAILING.labels("splunk")._value.get() == 1
    hec.refuse_with = None
    Destination.objects.filter(pk=destination.pk).update(next_attempt_at=None)
    sent_before = metrics.SENT.labels("splunk", "https-hec")._value.get()
    services.stream(destination.pk)
    metrics.refresh()
    assert metrics.SENT.labels("splunk", "https-hec")._value.get() == sent_before + _head()
    assert metrics.LAG.labels("splunk")._value.get() == 0


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_send_a_batch_twice(hec: HecServer) -> None:
    """Four workers stream one destination at once (own connections, real row locks): each batch goes once."""
    world = World.build()
    destination = _hec_destination(world, hec, batch_size=3)
    _events(60)
    barrier = threading.Barrier(4)
    results: list[Any] = [None] * 4

    def work(index: int) -> None:
        try:
            barrier.wait()
            results[index] = services.stream(destination.pk, max_batches=100)
        except Exception as exc:  # asserted below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    close_old_connections()
    assert all(isinstance(r, streaming.Outcome) and not r.failed_range for r in results), results
    while services.stream(destination.pk).sent:  # whoever found the lease held stopped; finish the rest
        pass
    sequences = [e["event"]["sequence"] for e in hec.received]
    assert sorted(sequences) == list(range(1, _head() + 1))
    assert len(sequences) == len(set(sequences)), "a batch was sent twice"
    assert Destination.objects.get(pk=destination.pk).acknowledged_sequence == _head()


def test_unusable_ca_material_is_a_recorded_failure(world: World, hec: HecServer) -> None:
    destination = _hec_destination(world, hec)
    garbled = hec.pki.ca_pem.replace("\n", "").replace("-----END", "\n-----END").replace("MII", "MIX", 1)
    Destination.objects.filter(pk=destination.pk).update(tls_ca_pem=garbled)  # e.g. edited in the database
    outcome = services.stream(destination.pk)
    assert outcome.sent == 0
    assert outcome.error.startswith("The destination's CA certificates are unusable"), outcome.error
    assert Destination.objects.get(pk=destination.pk).consecutive_failures == 1
