"""Writes to the group / app-role → role mapping: only a Platform Admin edits it, each edit is one ledger
event and bumps the mapping's version, so every single sign-on session re-evaluates at its next request.

Roles that decide or administer (Platform Admin, CAB Approver, Security Reviewer) are never handed out by a
group: whoever edits the mapping could put themselves in the group at the provider and skip dual control.
They are granted through role-grant requests, as before.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import Conflict
from fleetgate.core.lookups import locked
from fleetgate.core.roles import DUAL_CONTROL_ROLES, Role
from fleetgate.core.validation import Issues, check_choice
from fleetgate.identity.sod import Refused, recording_refusals
from fleetgate.sso.models import ClaimKind, GroupMapping, MappingVersion

SUBJECT = "sso_mapping"


def _validate(kind: str, value: str, role: str, boundary: str, business_units: list[str]) -> None:
    issues = Issues()
    check_choice(issues, "kind", kind, ClaimKind.values)
    if not value.strip():
        issues.add("value", "required", "Name the group's object id (or the app role's value) at the provider.")
    check_choice(issues, "role", role, Role.values)
    if not boundary.strip():
        issues.add("boundary", "required", "Name a boundary, or * for all.")
    if not business_units or not all(u.strip() for u in business_units):
        issues.add("business_units", "required", 'Name business units, or ["*"] for all.')
    issues.raise_if_any("The mapping is not valid; fix the listed fields.")


def _refuse_dual_control(role: str, subject_id: object, attempted: str) -> None:
    if Role(role) in DUAL_CONTROL_ROLES:
        raise Refused(
            f"{Role(role).label} is not given by a group: it needs a second Platform Admin. File a role-grant "
            "request for each person instead.",
            rule="dual-control",
            subject_type=SUBJECT,
            subject_id=subject_id,
            attempted=attempted,
        )


def _bump() -> int:
    MappingVersion.objects.get_or_create(pk=1)
    MappingVersion.objects.filter(pk=1).update(version=F("version") + 1)
    return MappingVersion.objects.get(pk=1).version


def _exists(kind: str, value: str, role: str, boundary: str, exclude: int | None = None) -> None:
    rows = GroupMapping.objects.filter(kind=kind, value=value, role=role, boundary=boundary)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    if rows.exists():
        raise Conflict(f"{value} already gives {Role(role).label} over {boundary}; edit that mapping instead.")


def create_mapping(
    *,
    actor: Actor,
    kind: str = ClaimKind.GROUP,
    value: str,
    role: str,
    boundary: str = "*",
    business_units: list[str] | None = None,
    description: str = "",
) -> GroupMapping:
    units = sorted(set(business_units or ["*"]))
    _validate(kind, value, role, boundary, units)
    with recording_refusals(actor), transaction.atomic():
        permissions.require(actor, "sso.mapping.manage")
        _refuse_dual_control(role, value, "sso.mapping.create")
        _exists(kind, value.strip(), role, boundary.strip())
        row = GroupMapping.objects.create(
            kind=kind,
            value=value.strip(),
            role=role,
            boundary=boundary.strip(),
            business_units=units,
            description=description.strip(),
        )
        version = _bump()
        audit.record(
            actor=actor,
            action="sso.mapping.created",
            subject_type=SUBJECT,
            subject_id=row.pk,
            after={**row.snapshot(), "mapping_version": version},
            severity="warning",
        )
    return row


def update_mapping(*, actor: Actor, mapping_id: int, **changes: Any) -> GroupMapping:
    with recording_refusals(actor), transaction.atomic():
        row = locked(GroupMapping, mapping_id, "mapping")
        permissions.require(actor, "sso.mapping.manage")
        before = row.snapshot()
        fields = {
            "kind": changes.get("kind", row.kind),
            "value": str(changes.get("value", row.value)).strip(),
            "role": changes.get("role", row.role),
            "boundary": str(changes.get("boundary", row.boundary)).strip(),
            "business_units": sorted(set(changes.get("business_units", row.business_units) or [])),
        }
        _validate(fields["kind"], fields["value"], fields["role"], fields["boundary"], fields["business_units"])
        _refuse_dual_control(fields["role"], row.pk, "sso.mapping.update")
        _exists(fields["kind"], fields["value"], fields["role"], fields["boundary"], exclude=row.pk)
        for name, value in fields.items():
            setattr(row, name, value)
        row.description = str(changes.get("description", row.description)).strip()
        row.updated_at = timezone.now()
        row.save()
        version = _bump()
        audit.record(
            actor=actor,
            action="sso.mapping.updated",
            subject_type=SUBJECT,
            subject_id=row.pk,
            before=before,
            after={**row.snapshot(), "mapping_version": version},
            severity="warning",
        )
    return row


def delete_mapping(*, actor: Actor, mapping_id: int, reason: str = "") -> None:
    with transaction.atomic():
        row = locked(GroupMapping, mapping_id, "mapping")
        permissions.require(actor, "sso.mapping.manage")
        before = row.snapshot()
        row.delete()
        version = _bump()
        audit.record(
            actor=actor,
            action="sso.mapping.deleted",
            subject_type=SUBJECT,
            subject_id=mapping_id,
            before=before,
            after={"mapping_version": version},
            reason=reason,
            severity="warning",
        )
