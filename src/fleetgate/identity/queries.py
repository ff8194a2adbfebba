"""Scoped reads of identities, and the actor behind a signed-in user."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from fleetgate.core import permissions
from fleetgate.core.actors import Actor, RoleGrant
from fleetgate.core.prepared import PreparedQuery
from fleetgate.core.roles import Role, Scope
from fleetgate.identity.models import ApiToken, Preferences, RoleBinding, RoleGrantRequest, ServiceAccount
from fleetgate.identity.states import GrantState


def from_user(user: Any) -> Actor:
    """The actor a person acts as: their role bindings; those granted under dual control carry the
    time of the grant (they decide only on changes opened after it)."""
    bindings = (
        RoleBinding.objects.filter(user_id=user.pk)
        .order_by("role", "boundary")
        .values_list("role", "boundary", "business_units", "created_at", "grant_request_id")
    )  # plain tuples: this runs on every request, and model instances cost more than the query
    return _actor(user, bindings)


def _actor(user: Any, bindings: Iterable[tuple[Any, ...]]) -> Actor:
    """`bindings`: (role, boundary, business units, created at, grant request id) per role binding."""
    grants = tuple(
        RoleGrant(role=Role(role), scope=Scope(boundary, frozenset(units)), granted_at=created if request else None)
        for role, boundary, units, created, request in bindings
    )
    return Actor(kind="user", id=str(user.pk), name=user.get_username(), grants=grants, user_pk=user.pk)


_BINDING = "user__role_bindings__"
# Every API request with a bearer token makes this lookup: the token, its user and the user's role
# bindings in one statement, compiled once (a LEFT JOIN: a user without bindings still has one row).
_BEARER = PreparedQuery(
    lambda key_id: (
        ApiToken.objects.filter(key_id=key_id)
        .order_by(f"{_BINDING}role", f"{_BINDING}boundary")
        .values_list(
            "pk",
            "user_id",
            "secret_hash",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "user__username",
            "user__is_active",
            f"{_BINDING}role",
            f"{_BINDING}boundary",
            f"{_BINDING}business_units",
            f"{_BINDING}created_at",
            f"{_BINDING}grant_request_id",
        )
    ),
    "key_id",
)


def bearer(key_id: str) -> tuple[ApiToken, Actor] | None:
    """The token named `key_id` (its user loaded) and the actor its user acts as; None if there is none.
    The caller checks the secret, expiry, revocation and the user's state."""
    rows = _BEARER.rows(key_id=key_id)
    if not rows:
        return None
    token_pk, user_pk, secret_hash, expires_at, revoked_at, last_used_at, username, is_active = rows[0][:8]
    token = _loaded(
        ApiToken,
        id=token_pk,
        user_id=user_pk,
        key_id=key_id,
        secret_hash=secret_hash,
        expires_at=expires_at,
        revoked_at=revoked_at,
        last_used_at=last_used_at,
    )
    token.user = _loaded(get_user_model(), id=user_pk, username=username, is_active=is_active)
    return token, _actor(token.user, (row[8:] for row in rows if row[8] is not None))


def _loaded(model: Any, **values: Any) -> Any:
    """An instance as the ORM loads one with only these columns: the others are deferred (read from the
    database on first access), so nothing reads or saves a default in place of a stored value."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(model.objects.db, names, [values[name] for name in names])


def users() -> QuerySet[Any]:
    return (
        get_user_model()
        .objects.prefetch_related("role_bindings")
        .select_related("service_account")
        .order_by("username")
    )


def is_service_account(user: Any) -> bool:
    return ServiceAccount.objects.filter(user_id=user.pk).exists()


def active_admin_ids() -> set[int]:
    """Users who can administer today: active and holding Platform Admin."""
    return set(
        RoleBinding.objects.filter(role=Role.PLATFORM_ADMIN, user__is_active=True).values_list("user_id", flat=True)
    )


def time_zone_of(user_pk: int | None) -> str:
    """The zone a person has times shown in (UTC until they pick one; a service identity: UTC)."""
    if user_pk is None:
        return "UTC"
    chosen = Preferences.objects.filter(user_id=user_pk).values_list("time_zone", flat=True).first()
    return chosen or "UTC"


def tokens_visible_to(actor: Actor) -> QuerySet[ApiToken]:
    qs = ApiToken.objects.select_related("user").order_by("-created_at")
    if permissions.can(actor, "token.view"):  # metadata only: the secret is never stored
        return qs
    if actor.user_pk is None:
        return qs.none()
    return qs.filter(user_id=actor.user_pk)


def grant_requests() -> QuerySet[RoleGrantRequest]:
    return RoleGrantRequest.objects.select_related("user", "requested_by", "decided_by")


def pending_grant_ids(user_id: int, roles: list[str]) -> list[int]:
    """Pending role-grant requests for `user_id` of any of `roles`, oldest first."""
    rows = RoleGrantRequest.objects.filter(user_id=user_id, role__in=roles, state=GrantState.PENDING)
    return list(rows.order_by("requested_at", "id").values_list("pk", flat=True))
