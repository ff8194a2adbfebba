"""Desired state from the rollout engine's records: for every active or completed rollout, each
plane target of each ring it reached (which version, on which group, through which plane)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q

from fleetgate.rollouts import routing
from fleetgate.rollouts.models import PlaneTarget, Rollout
from fleetgate.rollouts.states import RingState

TRACKED = (  # rollouts whose plane state reconciliation keeps converged
    Rollout.Status.RUNNING,
    Rollout.Status.AWAITING_JUDGMENT,
    Rollout.Status.BLOCKED,
    Rollout.Status.PAUSED,
    Rollout.Status.HALTED,
    Rollout.Status.COMPLETED,
)
SETTLED_RINGS = (RingState.PASSED,)  # rings the rollout is done with: device drift is reconciliation's
REACHED = (RingState.ASSIGNED, RingState.AWAITING_JUDGMENT, RingState.PASSED, RingState.FAILED)
CHUNK = 500


@dataclass(eq=False)
class Desired:
    target_id: int
    rollout_id: Any
    rollout_status: str
    lease_expires_at: datetime | None
    intent_id: Any
    intent_name: str
    ring: str
    ring_state: str
    assigned_at: datetime | None
    connector_id: Any
    connector_name: str
    plane: str
    group: str
    app: dict[str, Any]
    name: str
    version: str
    privileged: bool
    boundary: str
    business_unit: str
    site_classes: tuple[str, ...]
    document: dict[str, Any] = field(repr=False)
    ring_policy: dict[str, Any] = field(repr=False)
    plan_groups: tuple[str, ...] = ()  # every ring group of the intent's plan on this plane
    watched_groups: tuple[str, ...] = ()  # the connector's settings["watched_groups"]
    started_at: datetime | None = None

    @property
    def settled(self) -> bool:
        return self.ring_state in SETTLED_RINGS

    def busy(self, now: datetime) -> str:
        """Why remediating here would fight the rollout ("" when it would not)."""
        if self.ring_state != RingState.PASSED:
            return f"the rollout is still working on ring {self.ring}"
        if self.rollout_status in (Rollout.Status.PAUSED, Rollout.Status.HALTED):
            return f"the rollout is {self.rollout_status}"
        if self.lease_expires_at is not None and self.lease_expires_at > now:
            return "the rollout engine is acting on this intent"
        return ""


def load(intent_id: Any = None) -> Iterator[Desired]:
    """Streamed in chunks (never the whole fleet of intents in memory at once)."""
    rows = (
        PlaneTarget.objects.filter(
            ring_run__rollout__status__in=TRACKED,
            ring_run__state__in=REACHED,
        )
        .exclude(Q(app_ref={}) | Q(assignment_id=""))
        .select_related(
            "connector",
            "artifact__version__application",
            "ring_run__rollout__intent__application",
            "ring_run__rollout__intent__ring_policy",
        )
        .order_by("pk")
    )
    if intent_id is not None:
        rows = rows.filter(ring_run__rollout__intent_id=intent_id)
    for target in rows.iterator(chunk_size=CHUNK):
        yield _desired(target)


def _desired(target: PlaneTarget) -> Desired:
    run = target.ring_run
    rollout = run.rollout
    intent = rollout.intent
    version = target.artifact.version
    document = intent.ring_policy.document
    return Desired(
        target_id=target.pk,
        rollout_id=rollout.pk,
        rollout_status=rollout.status,
        lease_expires_at=rollout.lease_expires_at,
        intent_id=intent.pk,
        intent_name=intent.name,
        ring=run.ring,
        ring_state=run.state,
        assigned_at=run.assigned_at,
        connector_id=target.connector_id,
        connector_name=target.connector.name,
        plane=target.connector.kind,
        group=target.group,
        app=dict(target.app_ref),
        name=version.application.name,
        version=version.version,
        privileged=bool(intent.application.privileged_tooling),
        boundary=intent.target_boundary,
        business_unit=intent.target_business_unit,
        site_classes=tuple(intent.target_site_classes or ("online",)),
        document=document,
        ring_policy=intent.ring_policy.ring(run.ring),
        plan_groups=tuple(routing.group_for(step, target.connector) for step in intent.ring_plan),
        watched_groups=tuple(str(g) for g in (target.connector.settings or {}).get("watched_groups", [])),
        started_at=rollout.started_at,
    )
