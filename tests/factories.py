"""Factories: build test data through the real services, so the ledger sees it too."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from fleetgate.audit.models import LedgerEvent
from fleetgate.catalog import services as catalog
from fleetgate.catalog.models import Application, ApplicationVersion
from fleetgate.catalog.store import store_stream
from fleetgate.core.actors import SYSTEM, Actor, service
from fleetgate.core.roles import Role
from fleetgate.identity import services as identity
from fleetgate.identity.queries import from_user
from fleetgate.intents import services as intents
from fleetgate.intents.models import DeploymentIntent

PASSWORD = "correct-horse-battery-staple"
_seq = itertools.count(1)
BOOTSTRAP = service("test-bootstrap", SYSTEM.rights | {"user.manage", "token.manage"})


@contextmanager
def rolled_back_example() -> Iterator[None]:
    """A test's own transaction that never commits (one per hypothesis example), marked as Django's
    TestCase marks its own, so the application's outermost blocks inside it stand for their commits
    (their ledger events are written when they end: core/db/precommit.py)."""
    block = transaction.atomic()
    block._from_testcase = True
    with block:
        yield
        transaction.set_rollback(True)


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_seq)}"


def make_user(
    role: Role | str | None,
    boundary: str = "acme",
    business_units: list[str] | None = None,
    username: str | None = None,
) -> Any:
    roles = (
        [] if role is None else [{"role": str(role), "boundary": boundary, "business_units": business_units or ["*"]}]
    )
    return identity.create_user(
        actor=BOOTSTRAP, username=username or unique(str(role or "norole")), password=PASSWORD, roles=roles
    )


def make_actor(role: Role | str | None, boundary: str = "acme", business_units: list[str] | None = None) -> Actor:
    return from_user(make_user(role, boundary, business_units))


def make_token(user: Any, days: int = 30) -> str:
    return identity.create_token(actor=BOOTSTRAP, user_id=user.pk, name="test", days=days)[1]


def make_application(admin: Actor, **overrides: Any) -> Application:
    data = {
        "name": unique("App"),
        "vendor": "Vendor",
        "category": "productivity",
        "platforms": ["windows"],
        "boundary": "acme",
        "business_units": ["finance", "engineering"],
        **overrides,
    }
    return catalog.create_application(actor=admin, data=data)


def make_version(packager: Actor, app: Application, version: str = "1.0.0") -> ApplicationVersion:
    return catalog.create_version(actor=packager, application_id=app.pk, version=version)


def upload(data: bytes, limit: int = 10 * 1024 * 1024) -> Any:
    return store_stream(io.BytesIO(data), limit)


def ring_plan(*rings: str, devices: int = 10) -> list[dict[str, Any]]:
    return [{"ring": r, "target_group": f"G-{r}", "device_count": devices} for r in (rings or ("lab", "canary"))]


def intent_data(app: Application, **overrides: Any) -> dict[str, Any]:
    return {
        "name": unique("intent"),
        "title": "Roll out",
        "application": app.pk,
        "version": "1.0.0",
        "target_boundary": "acme",
        "target_business_unit": "finance",
        "target_site_classes": ["online"],
        "ring_plan": ring_plan(),
        "rollback_plan": {"strategy": "reinstall_previous", "rollback_version": "0.9.0"},
        **overrides,
    }


def last_event() -> LedgerEvent:
    return LedgerEvent.objects.order_by("-sequence").first()  # type: ignore[return-value]


@dataclass
class World:
    actors: dict[Role, Actor]
    app: Application
    users: dict[Role, Any] = field(default_factory=dict)
    # what a test's setup built for this world, kept on the world itself: a cache keyed by id(world) hands a
    # later test a collected world's rows (ids are reused), rolled back with the test that made them
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def once(self, key: Any, build: Callable[[], Any]) -> Any:
        if key not in self.memo:
            self.memo[key] = build()
        return self.memo[key]

    @classmethod
    def build(cls) -> World:
        users = {role: make_user(role) for role in Role}
        actors = {role: from_user(user) for role, user in users.items()}
        app = make_application(actors[Role.PLATFORM_ADMIN])
        make_version(actors[Role.PACKAGING_ENGINEER], app, "1.0.0")
        make_version(actors[Role.PACKAGING_ENGINEER], app, "1.1.0")
        return cls(actors=actors, app=app, users=users)

    @property
    def publisher(self) -> Actor:
        return self.actors[Role.PUBLISHER]

    def intent(self, **overrides: Any) -> DeploymentIntent:
        return intents.create(actor=self.publisher, data=intent_data(self.app, **overrides))


def user_model() -> Any:
    return get_user_model()


def make_connector(admin: Actor, **overrides: Any) -> Any:
    """A connector instance (Jamf kind) through the real service; the base URL reaches nothing."""
    from fleetgate.connectors import services as connectors

    data = {
        "name": unique("jamf"),
        "kind": "jamf",
        "base_url": "http://127.0.0.1:9",
        "settings": {"client_id": "fleetgate"},
        "secrets": {"client_secret": "s3cret-value"},
        **overrides,
    }
    return connectors.create(actor=admin, data=data)


# --- submittable intents (approvals): sealed evidence + risk, so submission can proceed -------------

HIGH_RISK = {
    "privilege_impact": {"option": "admin_or_service_elevated", "justification": "Installs a SYSTEM service."},
    "exploitability": {
        "option": "privileged_listener_or_elevated_service",
        "justification": "The service listens on a local port.",
    },
    "data_access": {"option": "wide_filesystem_and_credentials", "justification": "Reads the whole profile."},
    "operational_complexity": {
        "option": "offline_import_reboot_and_sequencing",
        "justification": "Needs a reboot and ordering.",
    },
}
CAB_SUBMISSION = {
    "summary": "Upgrade the agent to 1.0.0 for finance.",
    "justification": "Fixes two vendor advisories.",
    "impact": "Service restart, about 90 seconds.",
    "test_summary": "Eight lab devices passed install and rollback.",
    "backout_plan": "Reinstall 0.9.0 through the supersedence chain.",
}


@dataclass
class Sealed:
    """An intent ready to submit: artifact, complete evidence, a risk assessment and a sealed pack."""

    world: World
    intent: DeploymentIntent
    artifact: Any
    pack: Any
    assessment: Any
    evidence: Any  # tests.fixtures.evidence.world.EvidenceWorld


def sealed_intent(world: World, *, high_risk: bool = False, **intent: Any) -> Sealed:
    from fleetgate.approvals import services as approvals
    from fleetgate.evidence import services as evidence
    from tests.fixtures.evidence.world import build

    ew = build(world, **intent)
    ew.add_all()
    from fleetgate.risk import services as risk
    from tests.fixtures.evidence.world import LOW_RISK

    declared = HIGH_RISK if high_risk else LOW_RISK
    assessment = risk.assess(actor=ew.packager, intent_id=ew.intent.pk, declared=declared, artifact_id=ew.artifact.pk)
    if assessment.cab_required:
        approvals.create_submission(actor=ew.packager, intent_id=ew.intent.pk, data=CAB_SUBMISSION)
    pack = evidence.seal_pack(actor=ew.packager, intent_id=ew.intent.pk, artifact_id=ew.artifact.pk)
    return Sealed(world=world, intent=ew.intent, artifact=ew.artifact, pack=pack, assessment=assessment, evidence=ew)


def events_of(subject_id: Any) -> list[str]:
    """The ledger actions recorded about one subject, oldest first."""
    return list(
        LedgerEvent.objects.filter(subject_id=str(subject_id)).order_by("sequence").values_list("action", flat=True)
    )
