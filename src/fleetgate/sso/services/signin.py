"""A single sign-on sign-in, after the id_token passed every check (`sso.oidc.validate`): find or provision
the linked user, record the groups and app roles seen, and make the user's mapped role bindings equal what
the mapping gives them now. Roles are written through identity's `set_roles`, acting as the `sso` service
identity, so every change is identity's own `user.roles_changed` ledger event.

Only bindings the mapping gave (`MappedGrant`) are ever taken away: a role a Platform Admin granted by hand
stays when a group goes.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.config import OidcConfig
from fleetgate.core.actors import service
from fleetgate.identity import services as identity
from fleetgate.sso import queries
from fleetgate.sso.errors import SsoAccountDisabled, SsoInvalidToken
from fleetgate.sso.models import ExternalIdentity, MappedGrant

User = get_user_model()
SSO = service("sso", frozenset({"user.manage"}))
_UNSAFE = re.compile(r"[^\w.@+-]")


def _strings(claims: dict[str, Any], name: str) -> list[str]:
    value = claims.get(name) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SsoInvalidToken(
            f"The token's {name!r} claim is not a list of strings; sign-in cannot read it.", check="claims", claim=name
        )
    return sorted(set(value))


def _username(claims: dict[str, Any], oidc: OidcConfig, subject: str) -> str:
    """A free username from the provider's name for the person; never an existing account's (no takeover)."""
    raw = str(claims.get(oidc.username_claim) or claims.get("email") or subject)
    base = _UNSAFE.sub("-", raw)[:120] or "sso-user"
    candidates = [base, f"{base}-{subject[:8]}", *(f"{base}-{subject[:8]}-{n}" for n in range(2, 50))]
    taken = set(User.objects.filter(username__in=candidates).values_list("username", flat=True))
    return next(c for c in candidates if c not in taken)


def _provision(claims: dict[str, Any], oidc: OidcConfig, issuer: str, subject: str) -> ExternalIdentity:
    username = _username(claims, oidc, subject)
    email = str(claims.get("email") or "")[:254]
    user = User.objects.create_user(username=username, email=email, password=None)  # no password sign-in
    identity_row = ExternalIdentity.objects.create(
        issuer=issuer, subject=subject, tenant=str(claims.get("tid") or ""), user=user
    )
    audit.record(
        actor=SSO,
        action="sso.user_provisioned",
        subject_type="user",
        subject_id=user.pk,
        after=identity_row.snapshot(),
    )
    return identity_row


def _apply(row: ExternalIdentity) -> None:
    """Make the user's mapped bindings equal what the mapping gives the identity's groups and app roles."""
    user = row.user
    wanted = queries.mapped_grants(groups=row.groups, app_roles=row.app_roles)
    held = {(b.role, b.boundary): sorted(b.business_units) for b in user.role_bindings.all()}
    mapped = set(MappedGrant.objects.filter(identity=row).values_list("role", "boundary"))
    roles = {key: units for key, units in held.items() if key not in mapped or key in wanted}
    for key, units in wanted.items():
        if key in mapped or key not in held:
            roles[key] = units
    now_mapped = {key for key in wanted if key in mapped or key not in held}
    if roles != held:
        identity.set_roles(
            actor=SSO,
            user_id=user.pk,
            roles=[{"role": r, "boundary": b, "business_units": u} for (r, b), u in sorted(roles.items())],
        )
    for grant in MappedGrant.objects.filter(identity=row):
        if (grant.role, grant.boundary) not in now_mapped:
            grant.delete()
    for role, boundary in now_mapped - mapped:
        MappedGrant.objects.create(identity=row, role=role, boundary=boundary)


def sign_in(
    *, oidc: OidcConfig, issuer: str, claims: dict[str, Any], groups: list[str] | None = None
) -> tuple[Any, int]:
    """The signed-in user and the mapping version their roles were evaluated at. `groups` are the ones
    Microsoft Graph listed when the token carried an overage instead of them."""
    subject = str(claims[oidc.subject_claim])
    app_roles = _strings(claims, oidc.roles_claim)
    groups = sorted(set(groups)) if groups is not None else _strings(claims, oidc.groups_claim)
    with transaction.atomic():
        row = ExternalIdentity.objects.select_for_update().filter(issuer=issuer, subject=subject).first()
        if row is None:
            row = _provision(claims, oidc, issuer, subject)
        if not row.user.is_active:
            raise SsoAccountDisabled(
                f"{row.user.username} is deactivated in Fleetgate; ask a Platform Admin to reactivate the account.",
                user=row.user.pk,
            )
        before = row.snapshot()
        row.groups, row.app_roles, row.last_sign_in_at = groups, app_roles, timezone.now()
        row.save(update_fields=["groups", "app_roles", "last_sign_in_at"])
        version = queries.current_version()
        _apply(row)
        audit.record(
            actor=SSO,
            action="sso.signed_in",
            subject_type="user",
            subject_id=row.user.pk,
            before=before,
            after={**row.snapshot(), "mapping_version": version, "roles": _roles(row.user)},
        )
    return row.user, version


def reevaluate(*, user_id: int) -> int:
    """The mapping changed since this session was evaluated: apply it to the groups seen at sign-in."""
    with transaction.atomic():
        row = ExternalIdentity.objects.select_for_update().select_related("user").get(user_id=user_id)
        version = queries.current_version()
        _apply(row)
    return version


def _roles(user: Any) -> list[dict[str, object]]:
    return [b.as_dict() for b in user.role_bindings.order_by("role", "boundary")]
