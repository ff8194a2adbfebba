"""Maintenance windows, blackouts and the global change freeze: who may set them, and validation
(time zone, wall-clock first occurrence, RFC 5545 RRULE) before anything is written."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import Conflict
from fleetgate.core.lookups import locked, user_of
from fleetgate.core.roles import ANY, Scope, SiteClass
from fleetgate.core.validation import Issues
from fleetgate.rollouts import calendar, queries
from fleetgate.rollouts.models import ChangeFreeze, MaintenanceWindow
from fleetgate.rollouts.services.common import invalid

MAX_DURATION_MINUTES = 14 * 24 * 60


def _validate(data: dict[str, Any]) -> None:
    issues = Issues()
    if not str(data.get("name", "")).strip():
        issues.add("name", "required", "Name the window, e.g. 'Saturday night'.")
    if data.get("kind") not in MaintenanceWindow.Kind.values:
        issues.add("kind", "choice", "One of: window (changes allowed inside), blackout (no change inside).")
    if not str(data.get("boundary", "")).strip():
        issues.add("boundary", "required", "Name the acquisition boundary the window applies to.")
    if data.get("site_class") and data["site_class"] not in SiteClass.values:
        issues.add("site_class", "choice", f"One of: {', '.join(SiteClass.values)} (or leave empty for all).")
    duration = data.get("duration_minutes")
    if not isinstance(duration, int) or isinstance(duration, bool) or not 1 <= duration <= MAX_DURATION_MINUTES:
        issues.add("duration_minutes", "range", f"A whole number of minutes from 1 to {MAX_DURATION_MINUTES}.")
    start = None
    try:
        start = calendar.parse_start(str(data.get("starts_local", "")), str(data.get("timezone", "UTC")))
    except ValueError as exc:
        field = "timezone" if "time zone" in str(exc) else "starts_local"
        issues.add(
            field,
            "datetime" if field == "starts_local" else "timezone",
            f"{exc}. Example: 2026-12-05T22:00 in Europe/Berlin.",
        )
    if start is not None and data.get("rrule"):
        try:
            calendar.check_rrule(str(data["rrule"]), start)
        except (ValueError, TypeError) as exc:
            issues.add("rrule", "rfc5545", f"Not an RRULE: {exc}. Example: FREQ=WEEKLY;BYDAY=SA.")
    issues.raise_if_any()


def create_window(*, actor: Actor, data: dict[str, Any]) -> MaintenanceWindow:
    _validate(data)
    scope = Scope(str(data["boundary"]), frozenset({str(data.get("business_unit") or ANY)}))
    with transaction.atomic():
        permissions.require(actor, "window.manage", scope)
        window = MaintenanceWindow.objects.create(
            name=str(data["name"]).strip()[:100],
            kind=data["kind"],
            boundary=str(data["boundary"]),
            business_unit=str(data.get("business_unit") or ""),
            site_class=str(data.get("site_class") or ""),
            timezone=str(data.get("timezone", "UTC")),
            starts_local=str(data["starts_local"])[:19],
            duration_minutes=int(data["duration_minutes"]),
            rrule=str(data.get("rrule") or "").removeprefix("RRULE:"),
            created_by=user_of(actor),
        )
        audit.record(
            actor=actor,
            action=f"{window.kind}.created",
            subject_type="window",
            subject_id=window.pk,
            after=window.snapshot(),
        )
    return window


def deactivate_window(*, actor: Actor, window_id: UUID | str, reason: str = "") -> MaintenanceWindow:
    with transaction.atomic():
        window = locked(MaintenanceWindow, window_id, "maintenance window")
        permissions.require(actor, "window.manage", window)
        if not window.active:
            raise Conflict("The window is already inactive.")
        before = window.snapshot()
        window.active = False
        window.save(update_fields=["active"])
        audit.record(
            actor=actor,
            action=f"{window.kind}.deactivated",
            subject_type="window",
            subject_id=window.pk,
            before=before,
            after=window.snapshot(),
            reason=reason,
        )
    return window


def freeze_on(*, actor: Actor, reason: str) -> ChangeFreeze:
    with transaction.atomic():
        permissions.require(actor, "freeze.manage")
        if not reason.strip():
            invalid("reason", "required", "Say why changes are frozen (it is shown on every blocked rollout).")
        if queries.active_freeze() is not None:
            raise Conflict("A change freeze is already on; turn it off first to change its reason.")
        freeze = ChangeFreeze.objects.create(reason=reason.strip(), started_by=user_of(actor))
        audit.record(
            actor=actor,
            action="freeze.on",
            subject_type="freeze",
            subject_id=freeze.pk,
            after={"reason": freeze.reason},
            reason=freeze.reason,
            severity="warning",
        )
    return freeze


def freeze_off(*, actor: Actor, reason: str) -> ChangeFreeze:
    with transaction.atomic():
        permissions.require(actor, "freeze.manage")
        if not reason.strip():
            invalid("reason", "required", "Say why the freeze ends.")
        active = queries.active_freeze()
        if active is None:
            raise Conflict("No change freeze is on.")
        freeze = locked(ChangeFreeze, active.pk, "freeze")
        freeze.ended_by, freeze.ended_at, freeze.end_reason = user_of(actor), timezone.now(), reason.strip()
        freeze.save()
        audit.record(
            actor=actor,
            action="freeze.off",
            subject_type="freeze",
            subject_id=freeze.pk,
            before={"reason": freeze.reason},
            after={"ended": True},
            reason=freeze.end_reason,
            severity="warning",
        )
    return freeze
