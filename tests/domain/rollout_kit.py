"""Shared pieces of the rollout scenario tests: simulated planes over real HTTP, sealed intents of
any platform mix, and a driver that moves the injected clock and the fleets together by hand."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fleetgate.approvals import services as approvals
from fleetgate.approvals.models import CabRequest
from fleetgate.audit.models import LedgerEvent
from fleetgate.catalog import services as catalog
from fleetgate.connectors import services as connectors
from fleetgate.core.roles import Role
from fleetgate.evidence import services as evidence
from fleetgate.intents.models import DeploymentIntent
from fleetgate.risk import services as risk
from fleetgate.rollouts import clock as clocks
from fleetgate.rollouts.models import RingRun, Rollout
from fleetgate.rollouts.services import engine
from fleetsim.fleet import Fleet, GroupSpec
from fleetsim.planes import SIMULATORS, connection
from fleetsim.server import Running, start
from tests.factories import CAB_SUBMISSION, HIGH_RISK, World, upload
from tests.fixtures.connectors.support import deb_payload
from tests.fixtures.evidence import builders as b
from tests.fixtures.evidence.world import LOW_RISK, EvidenceWorld

R = Role
FORMATS = {"windows": ("msi", "app.msi"), "macos": ("pkg", "app.pkg"), "linux": ("deb", "app.deb")}
PLATFORM_OF = {"intune": "windows", "sccm": "windows", "jamf": "macos", "landscape": "linux", "ansible": "linux"}
SOAK = {"lab": 25, "canary": 25, "pilot": 49, "department": 73, "global": 169}  # hours past each ring's soak
HEALTHY = {"lab": 8, "canary": 40, "pilot": 300, "department": 400, "global": 1000}


def plan(*rings: str, sizes: dict[str, int] | None = None, **extra: Any) -> list[dict[str, Any]]:
    sizes = {**HEALTHY, **(sizes or {})}
    return [{"ring": r, "target_group": f"FG-{r.upper()}", "device_count": sizes[r], **extra} for r in rings]


@contextmanager
def simulator(kind: str, groups: dict[str, int], success: float = 1.0, **spec: Any) -> Iterator[Running]:
    """One plane's simulator with the given ring groups; no late reporters, no not-applicable devices."""
    fleet = Fleet(
        seed=11,
        groups=tuple(GroupSpec(name, size, **spec) for name, size in groups.items()),
        success_probability=success,
        late_fraction=0.0,
        not_applicable_rate=0.0,
    )
    handle = start(SIMULATORS[kind](seed=11, fleet=fleet))
    try:
        yield handle
    finally:
        handle.stop()


def groups_of(ring_plan: list[dict[str, Any]]) -> dict[str, int]:
    return {step["target_group"]: int(step["device_count"]) for step in ring_plan}


def connect(world: World, srv: Running, name: str = "", **extra: Any) -> Any:
    data = {**connection(srv.app), **extra}
    return connectors.create(
        actor=world.actors[R.PLATFORM_ADMIN], data={**data, "name": name or f"plane-{data['kind']}"}
    )


@dataclass
class Sealed:
    intent: DeploymentIntent
    worlds: list[EvidenceWorld]

    @property
    def artifacts(self) -> list[Any]:
        return [w.artifact for w in self.worlds]


def seal(
    world: World,
    *,
    platforms: tuple[str, ...] = ("windows",),
    high_risk: bool = False,
    evidence_overrides: Callable[[EvidenceWorld], dict[str, Any]] | None = None,
    before_seal: Callable[[EvidenceWorld], None] | None = None,
    **intent: Any,
) -> Sealed:
    """An intent with one artifact per platform of version 1.0.0, each with complete evidence, a risk
    assessment and a sealed pack (rollback by uninstall, so no previous version is needed)."""
    packager = world.actors[R.PACKAGING_ENGINEER]
    world.app.platforms = sorted(set(world.app.platforms) | set(platforms))
    world.app.save(update_fields=["platforms"])
    key, pem = b.keypair("ed25519")
    evidence.register_key(
        actor=world.actors[R.SECURITY_REVIEWER], name=f"release key {os.urandom(3).hex()}", publisher="Vendor", pem=pem
    )
    row = world.intent(rollback_plan={"strategy": "uninstall"}, **intent)
    version = world.app.versions.get(version="1.0.0")
    worlds = []
    for platform in platforms:
        fmt, filename = FORMATS[platform]
        artifact = catalog.register_artifact(
            actor=packager,
            version_id=version.pk,
            platform=platform,
            artifact_format=fmt,
            filename=filename,
            upload=upload(deb_payload() if fmt == "deb" else os.urandom(2048)),
        )
        ew = EvidenceWorld(world=world, artifact=artifact, intent=row, key=key, key_pem=pem)
        ew.add_all(**(evidence_overrides(ew) if evidence_overrides else {}))
        if before_seal:
            before_seal(ew)
        assessment = risk.assess(
            actor=packager, intent_id=row.pk, declared=HIGH_RISK if high_risk else LOW_RISK, artifact_id=artifact.pk
        )
        if assessment.cab_required and not approvals_submitted(row):
            approvals.create_submission(actor=packager, intent_id=row.pk, data=CAB_SUBMISSION)
        evidence.seal_pack(actor=packager, intent_id=row.pk, artifact_id=artifact.pk)
        worlds.append(ew)
    return Sealed(intent=row, worlds=worlds)


def approvals_submitted(intent: DeploymentIntent) -> bool:
    from fleetgate.approvals.models import CabSubmission

    return CabSubmission.objects.filter(intent=intent).exists()


def approve(world: World, sealed: Sealed, **decision: Any) -> DeploymentIntent:
    """Submit; when CAB is required, a CAB Approver decides (approve by default)."""
    intent = approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
    if intent.state == "awaiting_cab":
        request = CabRequest.objects.get(intent=intent, state="open")
        approvals.decide(
            actor=world.actors[R.CAB_APPROVER], request_id=request.pk, kind=decision.pop("kind", "approve"), **decision
        )
        intent.refresh_from_db()
    assert intent.state == "approved", intent.state
    return intent


class Driver:
    """Moves the injected clock and every simulated fleet together, and advances the rollout."""

    def __init__(self, intent: Any, clock: clocks.FrozenClock, *planes: Running) -> None:
        self.intent, self.clock, self.planes = intent, clock, planes

    def wait(self, hours: float) -> None:
        self.clock.advance(hours=hours)
        for plane in self.planes:
            plane.app.advance(hours * 3600)

    def advance(self) -> Rollout:
        rollout = engine.advance(intent_id=self.intent.pk)
        assert rollout is not None
        return rollout

    def start(self, actor: Any) -> Rollout:
        engine.start(actor=actor, intent_id=self.intent.pk)
        return self.advance()

    def through(self, *rings: str) -> Rollout:
        """Soak each ring in turn (hours per SOAK) and advance after each wait."""
        rollout = self.advance()
        for ring in rings:
            self.wait(SOAK[ring])
            rollout = self.advance()
        return rollout

    def ring(self, ring: str) -> RingRun:
        return RingRun.objects.get(rollout__intent=self.intent, ring=ring)

    def state(self) -> str:
        return DeploymentIntent.objects.get(pk=self.intent.pk).state


def ledger(intent: Any, action: str) -> list[Any]:
    return list(LedgerEvent.objects.filter(subject_id=str(intent.pk), action=action).order_by("sequence"))


def duplicates(*planes: Running) -> list[Any]:
    return [d for plane in planes for d in plane.app.counters.duplicates()]
