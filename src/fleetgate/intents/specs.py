"""Validation of what a publisher asks for: target scope, ring plan and rollback plan."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from fleetgate.catalog.models import Application
from fleetgate.core.roles import Scope, SiteClass
from fleetgate.core.validation import Issues, check_choice, check_semver, check_subset
from fleetgate.intents.models import RingPolicy

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
ROLLBACK_STRATEGIES = ("reinstall_previous", "uninstall", "supersede")
MAX_DEVICES = 10_000_000
MAX_GROUP = 200
PLANE_KINDS = ("intune", "jamf", "sccm", "landscape", "ansible")
EDITABLE_FIELDS = (
    "title",
    "change_reason",
    "target_boundary",
    "target_business_unit",
    "target_site_classes",
    "ring_plan",
    "rollback_plan",
)


def validate(data: dict[str, Any], policy: RingPolicy, app: Application) -> None:
    issues = Issues()
    if not SLUG.match(str(data.get("name", ""))):
        issues.add("name", "slug", "Use lowercase letters, digits and hyphens (1-100), e.g. firefox-128-rollout.")
    if not str(data.get("title", "")).strip():
        issues.add("title", "required", "Give the intent a title.")
    _check_target(issues, data, app)
    _check_ring_plan(issues, data.get("ring_plan"), policy)
    _check_rollback(issues, data.get("rollback_plan"))
    issues.raise_if_any()


def _check_target(issues: Issues, data: dict[str, Any], app: Application) -> None:
    for name in ("target_boundary", "target_business_unit"):
        if not str(data.get(name, "")).strip():
            issues.add(name, "required", f"{name} must name one boundary / business unit.")
    sites = data.get("target_site_classes") or []
    if not sites:
        issues.add("target_site_classes", "required", "Name at least one site class.")
    check_subset(issues, "target_site_classes", sites, SiteClass.values)
    target = Scope(str(data.get("target_boundary")), frozenset({str(data.get("target_business_unit"))}))
    if data.get("target_boundary") and data.get("target_business_unit") and not app.scope.covers(target):
        issues.add(
            "target_business_unit",
            "within-application-scope",
            f"{app.name} belongs to {app.boundary} / {', '.join(app.business_units)}; "
            "target a business unit the application is owned for.",
        )


def _check_ring_plan(issues: Issues, plan: object, policy: RingPolicy) -> None:
    if not isinstance(plan, list) or not plan:
        issues.add("ring_plan", "required", "Plan at least one ring, starting with lab.")
        return
    order = policy.ring_names
    seen: list[int] = []
    for i, step in enumerate(plan):
        where = f"ring_plan[{i}]"
        if not isinstance(step, dict):
            issues.add(where, "type", "Each ring step is an object with ring, target_group and device_count.")
            continue
        check_choice(issues, f"{where}.ring", step.get("ring"), order)
        if step.get("ring") in order:
            seen.append(order.index(step["ring"]))
        if not str(step.get("target_group", "")).strip():
            issues.add(f"{where}.target_group", "required", "Name the device group this ring targets.")
        count = step.get("device_count")
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_DEVICES:
            issues.add(
                f"{where}.device_count", "range", f"device_count must be a whole number from 1 to {MAX_DEVICES}."
            )
        _check_datetime(issues, f"{where}.not_before", step.get("not_before"))
        _check_target_groups(issues, f"{where}.target_groups", step.get("target_groups"))
        if step.get("site_class") not in (None, ""):
            check_choice(issues, f"{where}.site_class", step.get("site_class"), SiteClass.values)
    if seen and seen[0] != 0:
        issues.add("ring_plan[0].ring", "starts-with-lab", "Every rollout starts in lab, where rollback is validated.")
    if seen != sorted(set(seen)):
        issues.add("ring_plan", "ring-order", f"Rings must appear once each, in order: {' → '.join(order)}.")


def _check_target_groups(issues: Issues, field: str, groups: object) -> None:
    """``{plane: group}``: each plane a connector kind or a configured connector's name, each group
    a non-empty name the plane knows (at most 200 characters)."""
    if groups is None:
        return
    if not isinstance(groups, dict):
        issues.add(field, "type", "target_groups maps a connector kind or name to a group name.")
        return
    from fleetgate.connectors.models import ConnectorInstance

    names = set(ConnectorInstance.objects.filter(name__in=[str(k) for k in groups]).values_list("name", flat=True))
    for plane, group in groups.items():
        where = f"{field}.{plane}"
        if plane not in PLANE_KINDS and plane not in names:
            issues.add(
                where,
                "unknown-plane",
                f"'{plane}' is neither a connector kind ({', '.join(PLANE_KINDS)}) nor a connector.",
            )
        if not isinstance(group, str) or not group.strip():
            issues.add(where, "required", "Name the group this ring targets on that plane.")
        elif len(group) > MAX_GROUP:
            issues.add(where, "length", f"A group name has at most {MAX_GROUP} characters.")


def _check_datetime(issues: Issues, field: str, value: object) -> None:
    if value in (None, ""):
        return
    try:
        datetime.fromisoformat(str(value))
    except ValueError:
        issues.add(field, "datetime", "Use an ISO 8601 timestamp, e.g. 2026-12-01T08:00:00Z.")


def _check_rollback(issues: Issues, plan: object) -> None:
    if not isinstance(plan, dict):
        issues.add("rollback_plan", "required", "Give a rollback plan: strategy and rollback_version.")
        return
    check_choice(issues, "rollback_plan.strategy", plan.get("strategy"), ROLLBACK_STRATEGIES)
    version = plan.get("rollback_version")
    if plan.get("strategy") != "uninstall" or version:
        if not version:
            issues.add("rollback_plan.rollback_version", "required", "Name the version to roll back to.")
        else:
            check_semver(issues, "rollback_plan.rollback_version", str(version))
