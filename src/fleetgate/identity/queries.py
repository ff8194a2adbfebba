"""Scoped reads of identities, and the actor behind a signed-in user."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from fleetgate.core import permissions
from fleetgate.core.actors import Actor, RoleGrant
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
    grants = tuple(
        RoleGrant(role=Role(role), scope=Scope(boundary, frozenset(units)), granted_at=created if request else None)
        for role, boundary, units, created, request in bindings
    )
    return Actor(kind="user", id=str(user.pk), name=user.get_username(), grants=grants, user_pk=user.pk)


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
