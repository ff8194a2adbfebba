"""Reads of single sign-on: the mapping, its version, and what the mapping gives a set of claims."""

from __future__ import annotations

from django.db.models import QuerySet

from fleetgate.sso.models import ClaimKind, ExternalIdentity, GroupMapping, MappingVersion

Grants = dict[tuple[str, str], list[str]]  # (role, boundary) -> business units


def mappings() -> QuerySet[GroupMapping]:
    return GroupMapping.objects.all()


def current_version() -> int:
    row = MappingVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    return int(row or 0)


def identity_of(user_id: int) -> ExternalIdentity | None:
    return ExternalIdentity.objects.filter(user_id=user_id).first()


def mapped_grants(*, groups: list[str], app_roles: list[str]) -> Grants:
    """The grants the mapping gives someone with these groups and app roles; business units of two
    mappings to the same role and boundary add up (and `*` covers every unit)."""
    found: dict[tuple[str, str], set[str]] = {}
    rows = GroupMapping.objects.filter(kind=ClaimKind.GROUP, value__in=groups) | GroupMapping.objects.filter(
        kind=ClaimKind.APP_ROLE, value__in=app_roles
    )
    for row in rows:
        found.setdefault((row.role, row.boundary), set()).update(row.business_units or ["*"])
    return {key: ["*"] if "*" in units else sorted(units) for key, units in found.items()}
