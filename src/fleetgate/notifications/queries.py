"""Reads of notifications: mine (addressed to me), all (for admins and auditors), targets and deliveries."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.roles import Role
from fleetgate.core.scoping import scoped_subjects
from fleetgate.notifications.models import Delivery, Notification, NotificationRead, WebhookTarget


def notifications_for(actor: Actor) -> QuerySet[Notification]:
    qs = Notification.objects.all()
    if actor.has_role(Role.PLATFORM_ADMIN, Role.AUDITOR):
        return qs
    return scoped_subjects(actor, qs.filter(recipients__icontains=f'"{actor.name}"'))


def with_read_state(actor: Actor, qs: QuerySet[Notification]) -> QuerySet[Notification]:
    """Each notification with `read`: whether this person marked it read (in the same query). Who is no
    person (a service identity) has read nothing."""
    reads = NotificationRead.objects.filter(notification=OuterRef("pk"))
    mine = reads.filter(user_id=actor.user_pk) if actor.user_pk is not None else reads.none()
    return qs.annotate(read=Exists(mine))


def unread_count(actor: Actor) -> int:
    mine = notifications_for(actor)
    return (mine.exclude(reads__user_id=actor.user_pk) if actor.user_pk is not None else mine).count()


def targets(actor: Actor) -> QuerySet[WebhookTarget]:
    if permissions.can(actor, "webhook.view"):
        return WebhookTarget.objects.select_related("created_by")
    return WebhookTarget.objects.none()


def deliveries(target_id: int) -> QuerySet[Delivery]:
    return Delivery.objects.filter(target_id=target_id).select_related("notification")
