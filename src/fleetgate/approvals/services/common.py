"""Shared by the approvals services: intent transitions, separation-of-duties refusals that survive
the rollback, and who gets told."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fleetgate.audit import services as audit
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.fsm import next_state
from fleetgate.core.roles import Role, Scope
from fleetgate.identity.models import RoleBinding
from fleetgate.identity.sod import Refused, recording_refusals
from fleetgate.intents.models import DeploymentIntent
from fleetgate.intents.states import TRANSITIONS, Action, State

__all__ = ["Refused", "holders", "recording_refusals", "require_granted_before", "require_person", "transition"]


def require_person(actor: Actor, *, attempted: str, subject_type: str, subject_id: object) -> None:
    if actor.kind != "user" or actor.user_pk is None:
        raise Refused(
            f"{actor.name} is a {actor.kind} identity; only people decide ({attempted}).",
            rule="people-decide",
            subject_type=subject_type,
            subject_id=subject_id,
            attempted=attempted,
        )


def require_granted_before(
    actor: Actor,
    action: str,
    obj: object,
    opened_at: datetime | None,
    *,
    opened: str,
    subject_type: str,
    subject_id: object,
    attempted: str,
) -> None:
    """A deciding role granted after the change was opened (`opened`: "this exception was requested")
    does not decide on it: a grant rushed through for one change cannot carry that change."""
    if permissions.granted_before(actor, action, obj, opened_at):
        return
    roles = " or ".join(sorted(r.label for r in permissions.RULES.get(action, frozenset())))
    raise Refused(
        f"Separation of duties: your {roles} role was granted after {opened}; a newly granted deciding role "
        f"decides only on changes opened after the grant. Another {roles} who held the role then decides.",
        rule="role-granted-after-opening",
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
