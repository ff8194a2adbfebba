"""`fleetgate plan INTENT` / `POST /intents/{id}/plan/`: a dry simulation of the timeline, ring by
ring — earliest entry and promotion given soak, time to compliance, not_before, maintenance
windows, blackouts, the freeze, missing approvals and the demo clock. It reads each plane's group
membership (to warn about typed counts) and changes nothing on any plane."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from rest_framework import serializers

from fleetgate.approvals import queries as approvals
from fleetgate.connectors import services as connectors
from fleetgate.connectors.base import RingGroup
from fleetgate.connectors.models import ConnectorInstance
from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import DomainError, NoRoute, NotFound
from fleetgate.intents.models import DeploymentIntent
from fleetgate.rollouts import calendar, queries
from fleetgate.rollouts import clock as clocks
from fleetgate.rollouts.routing import count_warning, group_for, ring_site_class, routes


def plan(*, actor: Actor, intent_id: UUID | str, clock: clocks.Clock | None = None) -> dict[str, Any]:
    clock = clock or clocks.current()
    pk = _uuid(intent_id)
    intent = DeploymentIntent.objects.select_related("ring_policy", "application").filter(pk=pk).first() if pk else None
    if intent is None:
        raise NotFound(f"No intent with id {intent_id}; list intents to find it.")
    permissions.require(actor, "rollout.view", intent)
    rules = queries.calendar_rules(intent.target_boundary, intent.target_business_unit, intent.target_site_classes)
    freeze = queries.freeze_reason()
    warnings: list[str] = []
    try:
        found = routes(intent)
        planes = [{"connector": r.connector.name, "platform": r.artifact.platform} for r in found]
        serving = list({r.connector.pk: r.connector for r in found}.values())
    except NoRoute as exc:
        planes, serving = [], []
        warnings.append(exc.detail)
    if freeze:
        warnings.append(f"a global change freeze is on ({freeze}); nothing starts or promotes until it ends")
    moment = clock.now()
    steps: list[dict[str, Any]] = []
    for step in intent.ring_plan:
        ring = intent.ring_policy.ring(step["ring"])
        enter = _open_at(rules, max(moment, _not_before(step)), freeze)
        soak = timedelta(hours=float(ring["min_soak_hours"]))
        ttc = timedelta(hours=max(float(ring["ttc_hours"].get(s, 0)) for s in intent.target_site_classes))
        decision = approvals.promotion_allowed(intent, step["ring"], clock.now())
        blockers = [r for r in decision.reasons if not r.startswith("break-glass") and "needs one of" not in r]
        promote_at = None if enter is None else _open_at(rules, clock.when(enter, soak), freeze)
        observed = _group_sizes(intent, step, serving, warnings)
        steps.append(
            {
                "ring": step["ring"],
                "groups": {c.name: group_for(step, c) for c in serving} or {"*": step["target_group"]},
                "planned_devices": step["device_count"],
                "observed_devices": observed,
                "earliest_start": enter,
                "earliest_promotion": promote_at,
                "min_soak_hours": float(ring["min_soak_hours"]),
                "ttc_hours": ttc.total_seconds() / 3600,
                "gate": ring["gate"],
                "blockers": blockers,
            }
        )
        if promote_at is None:
            break
        moment = promote_at
    return {
        "intent": str(intent.pk),
        "state": intent.state,
        "planes": planes,
        "demo_time_scale": clock.scale,
        "warnings": warnings,
        "rings": steps,
    }


def _group_sizes(
    intent: DeploymentIntent, step: dict[str, Any], planes: list[ConnectorInstance], warnings: list[str]
) -> dict[str, int | None]:
    """Each plane's membership of the ring's group (a read; no plane state changes), with a warning
    where the typed count differs from it by more than 10 %."""
    from fleetgate.rollouts.services.common import ENGINE

    sizes: dict[str, int | None] = {}
    position = intent.ring_plan.index(step)
    for connector in planes:
        group = RingGroup(
            name=group_for(step, connector), ring=step["ring"], site_class=ring_site_class(intent, position)
        )
        try:
            size: int | None = connectors.group_size(actor=ENGINE, connector_id=connector.pk, group=group)
        except DomainError as exc:
            size = None
            warnings.append(f"{step['ring']}: cannot read {group.name} on {connector.name}: {exc.detail}")
        sizes[connector.name] = size
        warning = count_warning(int(step["device_count"]), size, connector.name, group.name)
        if warning:
            warnings.append(f"{step['ring']}: {warning}")
    return sizes


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def _not_before(step: dict[str, Any]) -> datetime:
    from fleetgate.rollouts.services.rings import parse_time

    value = step.get("not_before")
    return parse_time(value) if value else datetime.min.replace(tzinfo=clocks.current().now().tzinfo)


def _open_at(rules: list[calendar.Rule], at: datetime, freeze: str | None) -> datetime | None:
    return calendar.next_open(rules, at, freeze)


class PlanRingSerializer(serializers.Serializer):  # type: ignore[type-arg]
    ring = serializers.CharField()
    groups = serializers.DictField(child=serializers.CharField())
    planned_devices = serializers.IntegerField()
    observed_devices = serializers.DictField(child=serializers.IntegerField(allow_null=True))
    earliest_start = serializers.DateTimeField(allow_null=True)
    earliest_promotion = serializers.DateTimeField(allow_null=True)
    min_soak_hours = serializers.FloatField()
    ttc_hours = serializers.FloatField()
    gate = serializers.DictField()
    blockers = serializers.ListField(child=serializers.CharField())


class PlanSerializer(serializers.Serializer):  # type: ignore[type-arg]
    intent = serializers.UUIDField()
    state = serializers.CharField()
    planes = serializers.ListField(child=serializers.DictField())
    demo_time_scale = serializers.FloatField()
    warnings = serializers.ListField(child=serializers.CharField())
    rings = PlanRingSerializer(many=True)
