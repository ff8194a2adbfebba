"""The seven human roles and the scope they are granted over."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models

ANY = "*"


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", "Platform Admin"
    PACKAGING_ENGINEER = "packaging_engineer", "Packaging Engineer"
    PUBLISHER = "publisher", "Publisher"
    CAB_APPROVER = "cab_approver", "CAB Approver"
    SECURITY_REVIEWER = "security_reviewer", "Security Reviewer"
    ENDPOINT_OPS = "endpoint_ops", "Endpoint Ops"
    AUDITOR = "auditor", "Auditor"


# Roles that decide on someone else's change (CAB decisions, exceptions, break-glass, rubrics).
DECIDING_ROLES = frozenset({Role.CAB_APPROVER, Role.SECURITY_REVIEWER})
# Granting one of these needs a second Platform Admin (dual control): whoever holds them can decide
# or hand out roles.
DUAL_CONTROL_ROLES = frozenset({Role.PLATFORM_ADMIN, *DECIDING_ROLES})


def role_conflicts(roles: set[Role] | frozenset[Role]) -> list[str]:
    """Why a set of roles must not be held by one person (empty when it may).

    Whoever configures Fleetgate and hands out roles never also decides: Platform Admin with a deciding
    role is refused outright. Packaging Engineer with Publisher is allowed and checked per change
    (the packager of a pack never submits the intent that uses it).
    """
    if Role.PLATFORM_ADMIN in roles:
        return [
            f"Platform Admin cannot also hold {r.label}: whoever administers does not decide."
            for r in sorted(DECIDING_ROLES & roles)
        ]
    return []


class SiteClass(models.TextChoices):
    ONLINE = "online", "Online"
    INTERMITTENT = "intermittent", "Intermittent"
    AIR_GAPPED = "air_gapped", "Air-gapped"


@dataclass(frozen=True)
class Scope:
    """Where something lives or may act: an acquisition boundary and its business units.

    `*` stands for "any" on the granting side (role bindings, applications); a target scope
    always names one boundary and one business unit.
    """

    boundary: str
    business_units: frozenset[str] = field(default_factory=frozenset)
    site_classes: frozenset[str] = field(default_factory=frozenset)

    def covers(self, target: Scope) -> bool:
        if self.boundary not in (ANY, target.boundary):
            return False
        if ANY in self.business_units:
            return True
        return target.business_units <= self.business_units and bool(target.business_units)

    def as_dict(self) -> dict[str, object]:
        return {
            "boundary": self.boundary,
            "business_units": sorted(self.business_units),
            "site_classes": sorted(self.site_classes),
        }
