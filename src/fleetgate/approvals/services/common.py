"""Shared by the approvals services: intent transitions, separation-of-duties refusals that survive
the rollback, and who gets told."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import transaction

from fleetgate.audit import services as audit
from fleetgate.core.actors import Actor
from fleetgate.core.errors import SeparationOfDuties
from fleetgate.core.fsm import next_state
from fleetgate.core.models import RoleBinding
from fleetgate.core.roles import Role, Scope
from fleetgate.intents.models import DeploymentIntent
from fleetgate.intents.states import TRANSITIONS, Action, State


class Refused(Exception):
    """Raised inside a service's transaction; `recording_refusals` turns it into a ledger event + 403."""

    def __init__(self, message: str, *, rule: str, subject_type: str, subject_id: object, attempted: str) -> None:
        super().__init__(message)
        self.message, self.rule, self.attempted = message, rule, attempted
        self.subject_type, self.subject_id = subject_type, subject_id


@contextmanager
def recording_refusals(actor: Actor) -> Iterator[None]:
    """Use as `with recording_refusals(actor), transaction.atomic():` — the service's transaction
    rolls back first (nothing it wrote survives), then the refused attempt is written to the ledger
    in a transaction of its own, so it is kept even though the action was not. (API requests are
    not wrapped in ATOMIC_REQUESTS, so this inner transaction commits on its own.)"""
    try:
        yield
    except Refused as refused:
        with transaction.atomic():
            audit.record(
                actor=actor,
                action="sod.refused",
                subject_type=refused.subject_type,
                subject_id=refused.subject_id,
                after={"attempted": refused.attempted, "rule": refused.rule, "actor_kind": actor.kind},
                reason=refused.message,
                severity="warning",
            )
        raise SeparationOfDuties(refused.message, rule=refused.rule, attempted=refused.attempted) from None


def require_person(actor: Actor, *, attempted: str, subject_type: str, subject_id: object) -> None:
    if actor.kind != "user" or actor.user_pk is None:
        raise Refused(
            f"{actor.name} is a {actor.kind} identity; only people decide ({attempted}).",
            rule="people-decide",
            subject_type=subject_type,
            subject_id=subject_id,
            attempted=attempted,
        )


def transition(
    actor: Actor,
    intent: DeploymentIntent,
    action: Action,
    ledger_action: str,
    now: datetime,
    extra: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    """Move a locked intent along its transition table: one ledger event."""
    before = intent.snapshot()
    intent.state = next_state(TRANSITIONS, State(intent.state), action)
    intent.revision += 1
    intent.updated_at = now
    intent.save()
    audit.record(
        actor=actor,
        action=ledger_action,
        subject_type="intent",
        subject_id=intent.pk,
        before=before,
        after={**intent.snapshot(), **(extra or {})},
        reason=reason,
    )


def holders(role: Role, scope: Scope) -> list[str]:
    """Usernames holding `role` over `scope` (for notifications)."""
    names = set()
    for binding in RoleBinding.objects.filter(role=role, user__is_active=True).select_related("user"):
        grant = Scope(binding.boundary, frozenset(binding.business_units))
        if grant.covers(scope):
            names.add(binding.user.get_username())
    return sorted(names)
