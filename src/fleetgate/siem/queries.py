"""Reads of SIEM destinations with their streaming status."""

from __future__ import annotations

from django.db.models import QuerySet

from fleetgate.audit.models import LedgerHead
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import NotFound
from fleetgate.siem.models import Destination


def destinations(actor: Actor) -> QuerySet[Destination]:
    if permissions.can(actor, "siem.view"):
        return Destination.objects.all()
    return Destination.objects.none()


def destination(actor: Actor, destination_id: int) -> Destination:
    found = destinations(actor).filter(pk=destination_id).first()
    if found is None:
        raise NotFound(f"No SIEM destination with id {destination_id}; list them to find the right id.")
    return found


def ledger_head() -> int:
    return LedgerHead.objects.filter(pk=1).values_list("sequence", flat=True).first() or 0
