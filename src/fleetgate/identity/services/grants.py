"""Dual control for the roles that decide or administer (Platform Admin, CAB Approver, Security
Reviewer), like Intune's Multi Admin Approval: one Platform Admin files a role-grant request, a
different Platform Admin approves it. The grant is a `critical` ledger event."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import Conflict, FieldIssue, Forbidden, ValidationFailed
from fleetgate.core.fsm import next_state
from fleetgate.core.lookups import locked, user_of
from fleetgate.core.roles import DUAL_CONTROL_ROLES, Role
from fleetgate.core.validation import Issues, check_choice
from fleetgate.identity import queries
from fleetgate.identity.models import RoleBinding, RoleGrantRequest
from fleetgate.identity.services.common import require_no_conflict, user_snapshot
from fleetgate.identity.sod import Refused, recording_refusals
from fleetgate.identity.states import TRANSITIONS, GrantAction, GrantState

User = get_user_model()
SUBJECT = "role_grant_request"
MIN_REASON = 10


def _require_person(actor: Actor, attempted: str, subject_id: object) -> None:
    if actor.kind != "user" or actor.user_pk is None:
        raise Refused(
            f"{actor.name} is a {actor.kind} identity; role grants under dual control are decided by people.",
            rule="people-decide",
            subject_type=SUBJECT,
            subject_id=subject_id,
            attempted=attempted,
        )


def _check_target(user: Any, role: Role) -> None:
    if not user.is_active:
        raise Conflict(f"{user.username} is deactivated; reactivate the account before granting roles.")
    if queries.is_service_account(user):
        raise Forbidden(f"{user.username} is a service account; it holds no human role.")
    held = {Role(b.role) for b in user.role_bindings.all()}
    require_no_conflict(held | {role}, user.username)


def request_grant(
    *,
    actor: Actor,
    user_id: int,
    role: str,
    boundary: str = "*",
    business_units: list[str] | None = None,
    reason: str,
) -> RoleGrantRequest:
    units = sorted(set(business_units or ["*"]))
    issues = Issues()
    check_choice(issues, "role", role, Role.values)
    if role in Role.values and Role(role) not in DUAL_CONTROL_ROLES:
        issues.add("role", "dual-control-only", f"{role} needs no second approval; set it on the user's roles.")
    if not boundary.strip():
        issues.add("boundary", "required", "Name a boundary, or * for all.")
    if len(reason.strip()) < MIN_REASON:
        issues.add("reason", "required", f"Say why the role is needed (at least {MIN_REASON} characters).")
    issues.raise_if_any("The role-grant request is not valid; fix the listed fields.")
    with recording_refusals(actor), transaction.atomic():
        user = locked(User, user_id, "user")
        _require_person(actor, "role_grant.request", user.pk)
        permissions.require(actor, "role_grant.request")
        if user.pk == actor.user_pk:
            raise Refused(
                "You cannot request a role for yourself; another Platform Admin files it.",
                rule="no-self-grant",
                subject_type="user",
                subject_id=user.pk,
                attempted="role_grant.request",
            )
        _check_target(user, Role(role))
        if RoleGrantRequest.objects.filter(user=user, role=role, boundary=boundary, state=GrantState.PENDING).exists():
            raise Conflict(f"A request for {role} over {boundary} for {user.username} is pending already.")
        row = RoleGrantRequest.objects.create(
            user=user,
            role=role,
            boundary=boundary,
            business_units=units,
            reason=reason.strip(),
            requested_by=user_of(actor),
        )
        audit.record(
            actor=actor,
            action="role_grant.requested",
            subject_type=SUBJECT,
            subject_id=row.pk,
            after=row.snapshot(),
            reason=row.reason,
            severity="warning",
        )
    return row


def approve_grant(*, actor: Actor, request_id: int, reason: str = "") -> RoleGrantRequest:
    """The second Platform Admin: the role is granted now (and decides only on changes opened later)."""
    with recording_refusals(actor), transaction.atomic():
        row = locked(RoleGrantRequest, request_id, "role-grant request")
        _require_person(actor, "role_grant.approve", row.pk)
        permissions.require(actor, "role_grant.approve")
        state = next_state(TRANSITIONS, GrantState(row.state), GrantAction.APPROVE)
        if actor.user_pk in (row.requested_by_id, row.user_id):
            raise Refused(
                "Dual control: the Platform Admin who requested a grant, or its recipient, cannot approve it.",
                rule="dual-control",
                subject_type=SUBJECT,
                subject_id=row.pk,
                attempted="role_grant.approve",
            )
        user = locked(User, row.user_id, "user")
        _check_target(user, Role(row.role))
        before = {**row.snapshot(), "user_roles": user_snapshot(user)["roles"]}
        RoleBinding.objects.filter(user=user, role=row.role, boundary=row.boundary).delete()
        RoleBinding.objects.create(
            user=user, role=row.role, boundary=row.boundary, business_units=row.business_units, grant_request=row
        )
        row.state, row.decided_by, row.decided_at = state, user_of(actor), timezone.now()
        row.decision_reason = reason.strip()
        row.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
        audit.record(
            actor=actor,
            action="role_grant.approved",
            subject_type=SUBJECT,
            subject_id=row.pk,
            before=before,
            after={**row.snapshot(), "user_roles": user_snapshot(user)["roles"]},
            reason=row.decision_reason or row.reason,
            severity="critical",
        )
    return row


def reject_grant(*, actor: Actor, request_id: int, reason: str) -> RoleGrantRequest:
    if not reason.strip():
        raise ValidationFailed("Say why.", errors=[FieldIssue("reason", "required", "A rejection needs a reason.")])
    with recording_refusals(actor), transaction.atomic():
        row = locked(RoleGrantRequest, request_id, "role-grant request")
        _require_person(actor, "role_grant.reject", row.pk)
        permissions.require(actor, "role_grant.approve")
        before = row.snapshot()
        row.state = next_state(TRANSITIONS, GrantState(row.state), GrantAction.REJECT)
        row.decided_by, row.decided_at, row.decision_reason = user_of(actor), timezone.now(), reason.strip()
        row.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
        audit.record(
            actor=actor,
            action="role_grant.rejected",
            subject_type=SUBJECT,
            subject_id=row.pk,
            before=before,
            after=row.snapshot(),
            reason=row.decision_reason,
        )
    return row
