"""Writes to people and service accounts: create, change roles, deactivate."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import Conflict, Forbidden, SeparationOfDuties
from fleetgate.core.lookups import locked
from fleetgate.core.roles import Role
from fleetgate.core.validation import Issues
from fleetgate.identity import queries
from fleetgate.identity.models import RoleBinding, ServiceAccount
from fleetgate.identity.services.common import (
    dual_control_roles,
    is_host,
    require_no_conflict,
    require_other_admin,
    role_set,
    user_snapshot,
    validate_roles,
)

User = get_user_model()
GRANT_REQUESTS_URL = "/api/v1/role-grant-requests/"


def _dual_control_refusal(user: Any | None, username: str, roles: list[str]) -> SeparationOfDuties:
    """The API's words: they name the role-grant-request resource (and a pending request, if one is
    filed already); the web UI and the CLI say the same in their own words from `rule`, `roles`,
    `user` and `pending_requests`."""
    pending = [] if user is None else queries.pending_grant_ids(user.pk, roles)
    if pending:
        next_step = (
            f"a request is pending already ({GRANT_REQUESTS_URL}{pending[0]}/): another Platform Admin "
            f"approves it with POST {GRANT_REQUESTS_URL}{pending[0]}/approve/."
        )
    else:
        next_step = (
            f"file a role-grant request (POST {GRANT_REQUESTS_URL} with user, role, boundary, business_units "
            "and reason) and have another Platform Admin approve it."
        )
    return SeparationOfDuties(
        f"Granting {', '.join(roles)} to {username} needs a second Platform Admin: {next_step}",
        rule="dual-control",
        attempted="user.grant_role",
        roles=roles,
        user=None if user is None else user.pk,
        pending_requests=pending,
        resource=GRANT_REQUESTS_URL,
    )


def create_user(
    *,
    actor: Actor,
    username: str,
    password: str = "",
    email: str = "",
    roles: list[dict[str, Any]] | None = None,
    service_account: bool = False,
    description: str = "",
) -> Any:
    """A person (password, roles) or a service account (no password sign-in, no human role)."""
    roles = roles or []
    issues = Issues()
    if not username.strip():
        issues.add("username", "required", "Give a username.")
    if service_account:
        if roles:
            issues.add("roles", "service-account-roleless", "A service account holds no human role; drop roles.")
    else:
        try:
            validate_password(password)
        except DjangoValidationError as exc:
            issues.add("password", "strength", " ".join(exc.messages))
    validate_roles(issues, roles)
    issues.raise_if_any()
    with transaction.atomic():
        permissions.require(actor, "user.manage")
        require_no_conflict(role_set(roles), username)
        privileged = dual_control_roles(roles)
        if privileged and not is_host(actor):
            raise _dual_control_refusal(None, username, privileged)
        if User.objects.filter(username=username).exists():
            raise Conflict(f"User '{username}' exists; pick another name or edit that user's roles.")
        user = User.objects.create_user(username=username, email=email, password=password or None)
        if service_account:
            ServiceAccount.objects.create(user=user, description=description)
        _write_roles(user, roles)
        audit.record(
            actor=actor,
            action="user.created",
            subject_type="user",
            subject_id=user.pk,
            after=user_snapshot(user),
            severity="critical" if privileged else "info",
        )
    return user


def set_roles(*, actor: Actor, user_id: int, roles: list[dict[str, Any]]) -> Any:
    """Replace a user's roles. A person may add only roles outside dual control, and remove any;
    the host path may set any roles that do not conflict."""
    issues = Issues()
    validate_roles(issues, roles)
    issues.raise_if_any()
    with transaction.atomic():
        user = locked(User, user_id, "user")
        permissions.require(actor, "user.manage")
        if actor.user_pk == user.pk:
            raise Forbidden("You cannot change your own roles; ask another Platform Admin.")
        if roles and queries.is_service_account(user):
            raise Forbidden(f"{user.username} is a service account; it holds no human role.")
        require_no_conflict(role_set(roles), user.username)
        added = _added_grants(user, roles)
        privileged = dual_control_roles(added)
        if privileged and not is_host(actor):
            raise _dual_control_refusal(user, user.username, privileged)
        require_other_admin(user, keeps_admin=Role.PLATFORM_ADMIN in role_set(roles), keeps_active=user.is_active)
        before = user_snapshot(user)
        _write_roles(user, roles)
        audit.record(
            actor=actor,
            action="user.roles_changed",
            subject_type="user",
            subject_id=user.pk,
            before=before,
            after=user_snapshot(user),
            severity="critical" if privileged else "info",
        )
    return user


def set_active(*, actor: Actor, user_id: int, active: bool, reason: str = "") -> Any:
    with transaction.atomic():
        user = locked(User, user_id, "user")
        permissions.require(actor, "user.manage")
        if not active:
            require_other_admin(user, keeps_admin=True, keeps_active=False)
        before = user_snapshot(user)
        user.is_active = active
        user.save(update_fields=["is_active"])
        if not active:
            user.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit.record(
            actor=actor,
            action="user.activated" if active else "user.deactivated",
            subject_type="user",
            subject_id=user.pk,
            before=before,
            after=user_snapshot(user),
            reason=reason,
        )
    return user


def _key(grant: dict[str, Any]) -> tuple[str, str]:
    return str(grant["role"]), str(grant.get("boundary", "*"))


def _units(grant: dict[str, Any]) -> set[str]:
    return set(grant.get("business_units") or ["*"])


def _added_grants(user: Any, roles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Grants in `roles` that widen what the user holds today (a new binding, or more business units)."""
    held = {(b.role, b.boundary): set(b.business_units) for b in user.role_bindings.all()}
    out = []
    for grant in roles:
        units = held.get(_key(grant))
        if units is None or not (_units(grant) <= units or "*" in units):
            out.append(grant)
    return out


def _write_roles(user: Any, roles: list[dict[str, Any]]) -> None:
    """Make the user's bindings equal `roles`, editing bindings in place: a binding keeps its grant
    time and the dual-control request that granted it (a deciding role's age decides what it may decide)."""
    wanted = {_key(g): sorted(_units(g)) for g in roles}
    held = set()
    for binding in list(user.role_bindings.all()):
        key = (binding.role, binding.boundary)
        if key not in wanted:
            binding.delete()
            continue
        held.add(key)
        if wanted[key] != sorted(binding.business_units):
            binding.business_units = wanted[key]
            binding.save(update_fields=["business_units"])
    for (role, boundary), units in wanted.items():
        if (role, boundary) not in held:
            RoleBinding.objects.create(user=user, role=role, boundary=boundary, business_units=units)
