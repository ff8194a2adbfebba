"""Shared by the identity services: role validation, conflicts, the last-admin rule, snapshots."""

from __future__ import annotations

from typing import Any

from fleetgate.core.actors import Actor
from fleetgate.core.errors import LastPlatformAdmin, RoleConflict
from fleetgate.core.roles import DUAL_CONTROL_ROLES, Role, role_conflicts
from fleetgate.core.validation import Issues, check_choice
from fleetgate.identity import queries

# Every write a Platform Admin makes through the API is a person's act; the host commands
# (`fleetgate user create`, `fleetgate token create`, `fleetgate seed-demo`) act as a service identity
# with fixed rights: the operator with database access, who could write the rows anyway. They may
# create users with any roles that do not conflict and tokens for anybody; every such grant of a
# dual-control role is a `critical` ledger event naming that identity.


def is_host(actor: Actor) -> bool:
    return actor.kind != "user"


def user_snapshot(user: Any) -> dict[str, Any]:
    return {
        "username": user.username,
        "email": user.email,
        "is_active": user.is_active,
        "service_account": queries.is_service_account(user),
        "roles": [b.as_dict() for b in user.role_bindings.order_by("role", "boundary")],
    }


def validate_roles(issues: Issues, roles: list[dict[str, Any]]) -> None:
    for i, grant in enumerate(roles):
        check_choice(issues, f"roles[{i}].role", grant.get("role"), Role.values)
        if not str(grant.get("boundary", "")).strip():
            issues.add(f"roles[{i}].boundary", "required", "Name a boundary, or * for all.")
        if not grant.get("business_units"):
            issues.add(f"roles[{i}].business_units", "required", 'Name business units, or ["*"] for all.')


def require_no_conflict(roles: set[Role], username: str) -> None:
    reasons = role_conflicts(roles)
    if reasons:
        raise RoleConflict(
            f"{username} cannot hold these roles together. " + " ".join(reasons),
            roles=sorted(r.value for r in roles),
        )


def role_set(roles: list[dict[str, Any]]) -> set[Role]:
    return {Role(g["role"]) for g in roles}


def dual_control_roles(roles: list[dict[str, Any]]) -> list[str]:
    return sorted({g["role"] for g in roles if Role(g["role"]) in DUAL_CONTROL_ROLES})


def require_other_admin(user: Any, *, keeps_admin: bool, keeps_active: bool) -> None:
    """Refuse a change that leaves no active Platform Admin."""
    admins = queries.active_admin_ids()
    if user.pk in admins and not (keeps_admin and keeps_active) and not admins - {user.pk}:
        raise LastPlatformAdmin(
            f"{user.get_username()} is the only active Platform Admin; this would leave nobody able to "
            "administer Fleetgate. Have a second Platform Admin granted (and approved) first.",
            user=user.pk,
        )
