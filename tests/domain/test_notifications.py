"""Notifications: targets with encrypted secrets, signed deliveries, backoff, delivery log, email."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from fleetgate.audit.models import LedgerEvent
from fleetgate.core import secrets as vault
from fleetgate.core.errors import Conflict, Forbidden, ValidationFailed
from fleetgate.core.roles import Role
from fleetgate.notifications import services, signing
from fleetgate.notifications import tasks as notification_tasks
from fleetgate.notifications.models import Delivery, Notification, WebhookTarget
from tests.factories import World

pytestmark = pytest.mark.django_db
R = Role


def _client(status: int, seen: list[httpx.Request]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, text="ok" if status < 300 else "nope")

    return httpx.Client(transport=httpx.MockTransport(handler))


def _target(world: World, **kw: Any) -> tuple[WebhookTarget, str]:
    data = {"name": "siem", "url": "https://hooks.example.com/fleetgate", "events": [], **kw}
    return services.create_target(actor=world.actors[R.PLATFORM_ADMIN], **data)


def _notify(event: str = "cab_request.opened") -> Notification:
    with transaction.atomic():
        return services.notify(
            event=event, subject_type="cab_request", subject_id="r1", payload={"intent": "x"}, recipients=["cab"]
        )


def test_target_secret_is_encrypted_at_rest_and_creation_is_a_ledger_event(world: World) -> None:
    target, secret = _target(world)
    assert len(secret) >= 32
    assert secret not in target.secret_encrypted
    assert vault.decrypt(target.secret_encrypted) == secret
    assert LedgerEvent.objects.filter(action="webhook_target.created").count() == 1
    with pytest.raises(Conflict):
        _target(world)
    with pytest.raises(Forbidden):
        services.create_target(actor=world.publisher, name="x", url="https://x.example.com", events=[])
    with pytest.raises(ValidationFailed) as caught:
        services.create_target(
            actor=world.actors[R.PLATFORM_ADMIN], name="y", url="ftp://x", events=["nope"], secret="short"
        )
    assert {e.field for e in caught.value.errors} == {"url", "events[0]", "secret"}


def test_delivery_is_signed_and_logged(world: World) -> None:
    _, secret = _target(world, secret="s" * 32)
    _target(world, name="only-breakglass", events=["breakglass.used"])
    note = _notify()
    delivery = Delivery.objects.get()
    seen: list[httpx.Request] = []
    done = services.attempt(delivery.pk, client=_client(204, seen))
    assert (done.status, done.attempts, done.response_code) == ("delivered", 1, 204)
    request = seen[0]
    stamp = int(request.headers[signing.TIMESTAMP_HEADER])
    assert signing.verify(secret, stamp, request.content, request.headers[signing.SIGNATURE_HEADER])
    assert not signing.verify(
        "other-secret-xxxxxxxx", stamp, request.content, request.headers[signing.SIGNATURE_HEADER]
    )
    assert request.headers[signing.EVENT_HEADER] == "cab_request.opened"
    assert b'"intent":"x"' in request.content
    assert services.attempt(delivery.pk, client=_client(204, seen)).attempts == 1  # delivered: never resent
    assert note.deliveries.count() == 1


def test_failures_back_off_then_give_up(world: World) -> None:
    _target(world)
    _notify()
    delivery = Delivery.objects.get()
    seen: list[httpx.Request] = []
    now = timezone.now()
    for attempt, wait in enumerate(services.BACKOFF, start=1):
        row = services.attempt(delivery.pk, now=now, client=_client(500, seen))
        assert (row.status, row.attempts, row.next_attempt_at) == ("pending", attempt, now + wait)
        assert "HTTP 500" in row.last_error
        assert services.attempt(delivery.pk, now=now, client=_client(500, seen)).attempts == attempt  # not due yet
        assert services.due(now) == []
        now += wait
        assert services.due(now) == [delivery.pk]
    row = services.attempt(delivery.pk, now=now, client=_client(500, seen))
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", services.MAX_ATTEMPTS, None)


def test_network_errors_are_retried(world: World) -> None:
    _target(world)
    _notify()

    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    row = services.attempt(Delivery.objects.get().pk, client=httpx.Client(transport=httpx.MockTransport(boom)))
    assert row.status == "pending"
    assert row.last_error.startswith("ConnectError")


def test_delivery_is_enqueued_on_commit_and_the_sweep_retries(
    world: World, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    _target(world)
    calls: list[int] = []
    monkeypatch.setattr(services, "attempt", lambda pk, **kw: calls.append(pk) or SimpleNamespace(status="delivered"))
    HUEY.immediate = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            _notify()
        assert calls == [Delivery.objects.get().pk]
        monkeypatch.setattr(services, "due", lambda now=None: [7, 8])
        assert notification_tasks.retry_due_deliveries.call_local() == 2
        assert calls[-2:] == [7, 8]
    finally:
        HUEY.immediate = False


def test_email_is_optional(world: World, django_capture_on_commit_callbacks: Any, monkeypatch: Any) -> None:
    from fleetgate.config import settings as cfg

    monkeypatch.setattr(services, "cfg", dataclasses.replace(cfg, notify_email=True))
    world.users[R.CAB_APPROVER].email = "cab@example.com"
    world.users[R.CAB_APPROVER].save()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.notify(
            event="breakglass.used",
            subject_type="break_glass",
            subject_id="b1",
            payload={"intent": "x", "priority": "P0"},
            recipients=[world.users[R.CAB_APPROVER].username],
        )
    assert [m.to for m in mail.outbox] == [["cab@example.com"]]
    assert "priority: P0" in mail.outbox[0].body


def test_target_can_be_disabled(world: World) -> None:
    target, _ = _target(world)
    services.set_target_active(actor=world.actors[R.PLATFORM_ADMIN], target_id=target.pk, active=False)
    _notify()
    assert not Delivery.objects.exists()
    assert LedgerEvent.objects.filter(action="webhook_target.disabled").count() == 1
    assert timezone.now() - Notification.objects.get().created_at < timedelta(minutes=1)
