"""Every write to notifications: webhook targets, notification records, delivery attempts."""

from __future__ import annotations

import secrets as pysecrets
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlparse

import httpx
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.config import settings as cfg
from fleetgate.core import correlation, permissions
from fleetgate.core import secrets as vault
from fleetgate.core.actors import Actor
from fleetgate.core.errors import Conflict, NotFound
from fleetgate.core.lookups import locked, user_of
from fleetgate.core.validation import Issues, check_subset
from fleetgate.notifications import queries, signing
from fleetgate.notifications.models import (
    EVENTS,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationRead,
    WebhookTarget,
)

BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6))
MAX_ATTEMPTS = len(BACKOFF) + 1
LEASE = timedelta(minutes=2)  # a claimed attempt is not picked up again meanwhile
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def _check_target(
    issues: Issues, *, name: str | None = None, url: str | None = None, events: list[str] | None = None
) -> None:
    """The rules of a target's fields, for those given (an update names only what changes)."""
    if url is not None:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            issues.add("url", "http-url", "Give an http(s) URL with a host.")
    if name is not None and not name.strip():
        issues.add("name", "required", "Name the target.")
    if events is not None:
        check_subset(issues, "events", events, EVENTS)


def create_target(
    *, actor: Actor, name: str, url: str, events: list[str], secret: str = ""
) -> tuple[WebhookTarget, str]:
    """Register a webhook; the signing secret is returned once (generated when not given)."""
    issues = Issues()
    _check_target(issues, name=name, url=url, events=events)
    if secret and len(secret) < 16:
        issues.add("secret", "min-length", "A signing secret has at least 16 characters (or leave it out).")
    issues.raise_if_any()
    secret = secret or pysecrets.token_urlsafe(32)
    with transaction.atomic():
        permissions.require(actor, "webhook.manage")
        if WebhookTarget.objects.filter(name=name).exists():
            raise Conflict(f"A webhook target named '{name}' exists.")
        target = WebhookTarget.objects.create(
            name=name, url=url, events=list(events), secret_encrypted=vault.encrypt(secret), created_by=user_of(actor)
        )
        audit.record(
            actor=actor,
            action="webhook_target.created",
            subject_type="webhook_target",
            subject_id=target.pk,
            after=target.snapshot(),
        )
    return target, secret


def set_target_active(*, actor: Actor, target_id: int, active: bool) -> WebhookTarget:
    with transaction.atomic():
        target = locked(WebhookTarget, target_id, "webhook target")
        permissions.require(actor, "webhook.manage")
        before = target.snapshot()
        target.active = active
        target.save(update_fields=["active"])
        audit.record(
            actor=actor,
            action="webhook_target.enabled" if active else "webhook_target.disabled",
            subject_type="webhook_target",
            subject_id=target.pk,
            before=before,
            after=target.snapshot(),
        )
    return target


UPDATABLE = ("name", "url", "events")


def update_target(*, actor: Actor, target_id: int, changes: dict[str, Any]) -> WebhookTarget:
    """Change a target's name, URL or events (its secret stays: a new secret is a new target)."""
    issues = Issues()
    for field in sorted(set(changes) - set(UPDATABLE)):
        issues.add(field, "not-updatable", f"{field} cannot be changed here; change name, url or events.")
    _check_target(issues, **{k: v for k, v in changes.items() if k in UPDATABLE})
    issues.raise_if_any()
    with transaction.atomic():
        target = locked(WebhookTarget, target_id, "webhook target")
        permissions.require(actor, "webhook.manage")
        name = changes.get("name", target.name)
        if name != target.name and WebhookTarget.objects.filter(name=name).exclude(pk=target.pk).exists():
            raise Conflict(f"A webhook target named '{name}' exists.")
        before = target.snapshot()
        for field, value in changes.items():
            setattr(target, field, list(value) if field == "events" else value)
        if target.snapshot() == before:
            return target
        target.save(update_fields=list(changes))
        audit.record(
            actor=actor,
            action="webhook_target.updated",
            subject_type="webhook_target",
            subject_id=target.pk,
            before=before,
            after=target.snapshot(),
        )
    return target


TEST_EVENT = "webhook.test"


def send_test(*, actor: Actor, target_id: int) -> Delivery:
    """Queue one signed test delivery to this target alone (active or not); it shows in its delivery log."""
    from fleetgate.notifications import tasks

    with transaction.atomic():
        target = locked(WebhookTarget, target_id, "webhook target")
        permissions.require(actor, "webhook.manage")
        note = Notification.objects.create(
            event=TEST_EVENT,
            subject_type="webhook_target",
            subject_id=str(target.pk),
            payload={"target": target.name, "requested_by": actor.name, "test": True},
            recipients=[],
            correlation_id=correlation.current(),
        )
        delivery = Delivery.objects.create(notification=note, target=target, next_attempt_at=timezone.now())
        audit.record(
            actor=actor,
            action="webhook_target.test_sent",
            subject_type="webhook_target",
            subject_id=target.pk,
            after={"delivery": delivery.pk, "url": target.url},
        )
        transaction.on_commit(partial(tasks.deliver_webhook, delivery.pk))
    return delivery


def mark_read(*, actor: Actor, notification_id: int) -> Notification:
    """Mark one of my notifications read (again is no change)."""
    with transaction.atomic():
        permissions.require(actor, "notification.view")
        user = user_of(actor)
        note = queries.notifications_for(actor).filter(pk=notification_id).first()
        if note is None:
            raise NotFound(f"No notification {notification_id} is addressed to you.")
        _, created = NotificationRead.objects.get_or_create(notification=note, user=user)
        if created:
            audit.record(actor=actor, action="notification.read", subject_type="notification", subject_id=note.pk)
    return note


def mark_all_read(*, actor: Actor) -> int:
    """Mark every notification I may read as read; returns how many were unread."""
    with transaction.atomic():
        permissions.require(actor, "notification.view")
        user = user_of(actor)
        unread = list(queries.notifications_for(actor).exclude(reads__user=user).values_list("pk", flat=True))
        NotificationRead.objects.bulk_create(
            [NotificationRead(notification_id=pk, user=user) for pk in unread], ignore_conflicts=True
        )
        if unread:
            audit.record(
                actor=actor,
                action="notification.all_read",
                subject_type="user",
                subject_id=user.pk,
                after={"marked": len(unread), "up_to": max(unread)},
            )
    return len(unread)


def notify(
    *, event: str, subject_type: str, subject_id: object, payload: dict[str, Any], recipients: Iterable[str] = ()
) -> Notification:
    """Record a notification and queue its deliveries; call inside the transaction of the change."""
    from fleetgate.notifications import tasks

    note = Notification.objects.create(
        event=event,
        subject_type=subject_type,
        subject_id=str(subject_id),
        payload=payload,
        recipients=sorted(set(recipients)),
        correlation_id=correlation.current(),
    )
    now = timezone.now()
    deliveries = [
        Delivery.objects.create(notification=note, target=t, next_attempt_at=now)
        for t in WebhookTarget.objects.filter(active=True)
        if t.wants(event)
    ]
    for delivery in deliveries:
        transaction.on_commit(partial(tasks.deliver_webhook, delivery.pk))
    if cfg.notify_email:
        transaction.on_commit(lambda: _email(note.pk))
    return note


def envelope(note: Notification) -> dict[str, Any]:
    return {
        "id": note.pk,
        "event": note.event,
        "subject": {"type": note.subject_type, "id": note.subject_id},
        "occurred_at": note.created_at.isoformat(),
        "correlation_id": note.correlation_id,
        "data": note.payload,
    }


def attempt(delivery_id: int, *, now: datetime | None = None, client: httpx.Client | None = None) -> Delivery:
    """One delivery attempt, claimed first so two workers never send the same attempt twice."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return delivery  # type: ignore[return-value]
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            return delivery
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.next_attempt_at = now + LEASE
        delivery.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
    target, note = delivery.target, delivery.notification
    body = signing.body_of(envelope(note))
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        signing.TIMESTAMP_HEADER: str(stamp),
        signing.SIGNATURE_HEADER: signing.sign(vault.decrypt(target.secret_encrypted), stamp, body),
        signing.EVENT_HEADER: note.event,
        correlation.HEADER: note.correlation_id or correlation.current(),
    }
    code: int | None = None
    error = ""
    try:
        http = client or httpx.Client(timeout=TIMEOUT)
        response = http.post(target.url, content=body, headers=headers)
        code = response.status_code
        if code >= 300:
            error = f"HTTP {code}: {response.text[:200]}"
    except httpx.HTTPError as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:500]
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        delivery.response_code = code
        delivery.last_error = error
        if not error:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, None
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        else:
            delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
        delivery.save()
    return delivery


def due(now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).values_list("pk", flat=True)
    )


def _email(notification_id: int) -> None:
    note = Notification.objects.get(pk=notification_id)
    emails = list(
        get_user_model()
        .objects.filter(username__in=note.recipients, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if emails:
        lines = [f"{k}: {v}" for k, v in sorted(note.payload.items()) if not isinstance(v, dict | list)]
        send_mail(f"[Fleetgate] {note.event}", "\n".join(lines), None, emails, fail_silently=True)
