"""Writes to identities: users, their role bindings and their API tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.config import settings as cfg
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import Conflict, Forbidden, InvalidTransition
from fleetgate.core.lookups import locked
from fleetgate.core.models import ApiToken, RoleBinding
from fleetgate.core.roles import Role
from fleetgate.core.validation import Issues, check_choice

User = get_user_model()
MAX_TOKEN_DAYS = 365


def _user_snapshot(user: Any) -> dict[str, Any]:
    return {
        "username": user.username,
        "email": user.email,
        "is_active": user.is_active,
        "roles": [b.as_dict() for b in user.role_bindings.order_by("role", "boundary")],
    }


def _validate_roles(issues: Issues, roles: list[dict[str, Any]]) -> None:
    for i, grant in enumerate(roles):
        check_choice(issues, f"roles[{i}].role", grant.get("role"), Role.values)
        if not str(grant.get("boundary", "")).strip():
            issues.add(f"roles[{i}].boundary", "required", "Name a boundary, or * for all.")
        if not grant.get("business_units"):
            issues.add(f"roles[{i}].business_units", "required", 'Name business units, or ["*"] for all.')


def create_user(
    *, actor: Actor, username: str, password: str, email: str = "", roles: list[dict[str, Any]] | None = None
) -> Any:
    roles = roles or []
    issues = Issues()
    if not username.strip():
        issues.add("username", "required", "Give a username.")
    try:
        validate_password(password)
    except DjangoValidationError as exc:
        issues.add("password", "strength", " ".join(exc.messages))
    _validate_roles(issues, roles)
    issues.raise_if_any()
    with transaction.atomic():
        permissions.require(actor, "user.manage")
        if User.objects.filter(username=username).exists():
            raise Conflict(f"User '{username}' exists; pick another name or edit that user's roles.")
        user = User.objects.create_user(username=username, email=email, password=password)
        _write_roles(user, roles)
        audit.record(
            actor=actor, action="user.created", subject_type="user", subject_id=user.pk, after=_user_snapshot(user)
        )
    return user


def set_roles(*, actor: Actor, user_id: int, roles: list[dict[str, Any]]) -> Any:
    issues = Issues()
    _validate_roles(issues, roles)
    issues.raise_if_any()
    with transaction.atomic():
        user = locked(User, user_id, "user")
        permissions.require(actor, "user.manage")
        if actor.user_pk == user.pk:
            raise Forbidden("You cannot change your own roles; ask another Platform Admin.")
        before = _user_snapshot(user)
        user.role_bindings.all().delete()
        _write_roles(user, roles)
        audit.record(
            actor=actor,
            action="user.roles_changed",
            subject_type="user",
            subject_id=user.pk,
            before=before,
            after=_user_snapshot(user),
        )
    return user


def set_active(*, actor: Actor, user_id: int, active: bool, reason: str = "") -> Any:
    with transaction.atomic():
        user = locked(User, user_id, "user")
        permissions.require(actor, "user.manage")
        before = _user_snapshot(user)
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
            after=_user_snapshot(user),
            reason=reason,
        )
    return user


def _write_roles(user: Any, roles: list[dict[str, Any]]) -> None:
    for grant in roles:
        RoleBinding.objects.update_or_create(
            user=user,
            role=grant["role"],
            boundary=grant.get("boundary", "*"),
            defaults={"business_units": sorted(set(grant.get("business_units") or ["*"]))},
        )


def create_token(*, actor: Actor, user_id: int, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Returns the token row and the plaintext, which is shown once and never stored."""
    days = cfg.token_default_days if days is None else days
    issues = Issues()
    if not name.strip():
        issues.add("name", "required", "Name the token after where it will be used, e.g. 'ci-pipeline'.")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        issues.add("days", "range", f"Tokens expire after 1 to {MAX_TOKEN_DAYS} days.")
    issues.raise_if_any()
    with transaction.atomic():
        user = locked(User, user_id, "user")
        if actor.user_pk != user.pk:
            permissions.require(actor, "token.manage")
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        token = ApiToken.objects.create(
            user=user,
            name=name,
            key_id=key_id,
            secret_hash=ApiToken.hash_secret(secret),
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit.record(
            actor=actor, action="token.created", subject_type="api_token", subject_id=token.pk, after=token.snapshot()
        )
    return token, f"fg_{key_id}_{secret}"


def revoke_token(*, actor: Actor, token_id: int, reason: str = "") -> ApiToken:
    with transaction.atomic():
        token = locked(ApiToken, token_id, "token")
        if actor.user_pk != token.user_id:
            permissions.require(actor, "token.manage")
        if token.revoked_at is not None:
            raise InvalidTransition("Token is already revoked.", state="revoked", action="revoke")
        before = token.snapshot()
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            action="token.revoked",
            subject_type="api_token",
            subject_id=token.pk,
            before=before,
            after=token.snapshot(),
            reason=reason,
        )
    return token
