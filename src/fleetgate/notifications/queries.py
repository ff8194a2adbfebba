"""Reads of notifications: mine (addressed to me), all (for admins and auditors), targets and deliveries."""

from __future__ import annotations

from django.db.models import QuerySet

from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.roles import Role
from fleetgate.core.scoping import scoped_subjects
from fleetgate.notifications.models import Delivery, Notification, WebhookTarget


def notifications_for(actor: Actor) -> QuerySet[Notification]:
    qs = Notification.objects.all()
    if actor.has_role(Role.PLATFORM_ADMIN, Role.AUDITOR):
        return qs
    return scoped_subjects(actor, qs.filter(recipients__icontains=f'"{actor.name}"'))


def targets(actor: Actor) -> QuerySet[WebhookTarget]:
    if permissions.can(actor, "webhook.view"):
        return WebhookTarget.objects.select_related("created_by")
    return WebhookTarget.objects.none()


def deliveries(target_id: int) -> QuerySet[Delivery]:
    return Delivery.objects.filter(target_id=target_id).select_related("notification")
