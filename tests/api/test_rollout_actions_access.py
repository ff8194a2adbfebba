"""Acting on rollouts over HTTP, on the shared access base: start, pause, resume, halt, roll back and
promote (a written judgment) answer 202 with a job to poll; reading one rollout, job or incident;
resolving incidents, ending windows, lifting the freeze. Every role's status, the problem of each
refusal, the ledger rows each mutation leaves; and who may never judge an inconclusive ring."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from fleetgate.approvals import services as approvals
from fleetgate.audit.models import LedgerEvent
from fleetgate.connectors import services as connectors
from fleetgate.connectors.base import Runtime
from fleetgate.core.actors import ASSISTANT
from fleetgate.core.errors import Forbidden
from fleetgate.core.roles import Role
from fleetgate.identity import services as identity
from fleetgate.identity.queries import from_user
from fleetgate.rollouts import clock as clocks
from fleetgate.rollouts.models import Rollout
from fleetgate.rollouts.services import actions, calendars, engine, incidents, jobs
from fleetgate.rollouts.services.common import ENGINE
from fleetgate.rollouts.states import RingState
from fleetgate.worker.models import JobRun
from tests.api.base import ALL_ROLES, CORRELATION, Endpoint, ResourceAccessTests, client_for
from tests.domain import rollout_kit as kit
from tests.factories import BOOTSTRAP, PASSWORD, World, make_connector, sealed_intent, unique
from tests.fixtures.connectors.support import FakeClock, Sleeps

R = Role
S = Rollout.Status
WHY = {"reason": "checking the service desk queue"}
JUDGMENT = {"reason": "4 of 4 installed, no failure; accepted"}


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connectors, "runtime_factory", lambda: Runtime(sleep=Sleeps(), clock=FakeClock()))


@dataclass(frozen=True)
class Refusal:
    """How one role is refused: status, problem code and rule, and the ledger rows the refusal leaves."""

    code: str
    rule: str = ""
    ledger: tuple[str, ...] = ()
    status: int = 403


@dataclass(frozen=True)
class Action(Endpoint):
    refusals: Mapping[Role, Refusal] = field(default_factory=dict)  # refused although the role has the right
    job: str = ""  # 202 + a queued job of this action


# --- subjects ---------------------------------------------------------------------------------------


def _approved(world: World) -> Any:
    sealed = sealed_intent(world, rollback_plan={"strategy": "uninstall"})
    make_connector(world.actors[R.PLATFORM_ADMIN], platforms=[sealed.artifact.platform], boundaries=["acme"])
    return approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)


def _started(world: World) -> Rollout:
    intent = _approved(world)
    return engine.start(actor=world.publisher, intent_id=intent.pk)


def _rollout_url(suffix: str, state: str = "") -> Any:
    def url(world: World) -> str:
        rollout = _started(world)
        if state:
            actions.apply(actor=world.publisher, intent_id=rollout.intent_id, action=state, reason="set up")
        return f"/api/v1/rollouts/{rollout.pk}/{suffix}"

    return url


def awaiting_judgment(world: World) -> Rollout:
    """Lab of 4 devices on the Jamf simulator: all installed, too few for the count rule, past time to
    compliance and soak, so the ring waits for a person's judgment."""
    ring_plan = kit.plan("lab", "canary", sizes={"lab": 4})
    frozen = clocks.FrozenClock(timezone.now())
    with kit.simulator("jamf", kit.groups_of(ring_plan)) as srv, clocks.using(frozen):
        kit.connect(world, srv)
        intent = kit.approve(world, kit.seal(world, platforms=("macos",), ring_plan=ring_plan))
        drive = kit.Driver(intent, frozen, srv)
        drive.start(world.publisher)
        drive.wait(25)
        rollout = drive.advance()
    assert rollout.status == S.AWAITING_JUDGMENT, rollout.status_detail
    return rollout


def _job(world: World) -> str:
    rollout = _started(world)
    job = jobs.enqueue(actor=world.publisher, intent_id=rollout.intent_id, action="pause")
    return f"/api/v1/jobs/{job.pk}/"


def _incident(world: World) -> Any:
    data = {"intent": str(world.intent().pk), "priority": "P3", "title": "slow logon"}
    return incidents.create(actor=world.actors[R.ENDPOINT_OPS], data=data)


def _window(world: World) -> Any:
    data = {
        "name": "Saturday night",
        "kind": "window",
        "boundary": "acme",
        "timezone": "Europe/Berlin",
        "starts_local": "2026-12-05T22:00",
        "duration_minutes": 240,
        "rrule": "FREQ=WEEKLY;BYDAY=SA",
    }
    return calendars.create_window(actor=world.actors[R.PLATFORM_ADMIN], data=data)


def _frozen(world: World) -> str:
    calendars.freeze_on(actor=world.actors[R.PLATFORM_ADMIN], reason="year-end audit")
    return "/api/v1/change-freeze/"


PUBLISHER = frozenset({R.PUBLISHER})
PUBLISHER_OR_OPS = frozenset({R.PUBLISHER, R.ENDPOINT_OPS})


class TestRolloutActionAccess(ResourceAccessTests):
    endpoints = [
        Action(
            "POST",
            lambda w: f"/api/v1/intents/{_approved(w).pk}/start/",
            PUBLISHER,
            202,
            ledger_actions=("intent.started", "rollout.started"),
            job="start",
            label="start",
        ),
        Endpoint("GET", lambda w: f"/api/v1/rollouts/{_started(w).pk}/", ALL_ROLES, label="get-rollout"),
        Action(
            "POST",
            _rollout_url("pause/"),
            PUBLISHER_OR_OPS,
            202,
            body=lambda w: WHY,
            ledger_actions=("intent.paused", "rollout.paused"),
            job="pause",
            label="pause",
        ),
        Action(
            "POST",
            _rollout_url("resume/", state="pause"),
            PUBLISHER,
            202,
            body=lambda w: WHY,
            ledger_actions=("intent.resumed", "rollout.resumed"),
            job="resume",
            label="resume",
        ),
        Action(
            "POST",
            _rollout_url("halt/"),
            PUBLISHER_OR_OPS,
            202,
            body=lambda w: WHY,
            ledger_actions=("intent.halted", "rollout.halted"),
            job="halt",
            label="halt",
        ),
        Action(
            "POST",
            _rollout_url("rollback/", state="halt"),
            PUBLISHER_OR_OPS,
            202,
            body=lambda w: WHY,
            ledger_actions=("intent.rolling_back", "rollout.rollback_started"),
            job="rollback",
            label="rollback",
        ),
        Action(
            "POST",
            lambda w: f"/api/v1/rollouts/{awaiting_judgment(w).pk}/promote/",
            frozenset({R.CAB_APPROVER}),
            202,
            body=lambda w: JUDGMENT,
            ledger_actions=("rollout.promoted",),
            refusals={R.PUBLISHER: Refusal("separation-of-duties", "judge-not-conflicted", ("sod.refused",))},
            job="promote",
            label="promote-judgment",
        ),
        Endpoint("GET", _job, ALL_ROLES, label="get-job"),
        Endpoint("GET", lambda w: f"/api/v1/incidents/{_incident(w).pk}/", ALL_ROLES, label="get-incident"),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/incidents/{_incident(w).pk}/resolve/",
            frozenset({R.ENDPOINT_OPS, R.SECURITY_REVIEWER}),
            body=lambda w: {"resolution": "profile cache cleared"},
            ledger_action="incident.resolved",
            label="resolve-incident",
        ),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/maintenance-windows/{_window(w).pk}/deactivate/",
            frozenset({R.PLATFORM_ADMIN, R.ENDPOINT_OPS}),
            body=lambda w: {"reason": "the site moved to Sundays"},
            ledger_action="window.deactivated",
            label="deactivate-window",
        ),
        Endpoint(
            "POST",
            _frozen,
            frozenset({R.PLATFORM_ADMIN}),
            body=lambda w: {"active": False, "reason": "audit done"},
            ledger_action="freeze.off",
            label="freeze-off",
        ),
    ]

    @pytest.mark.django_db
    def test_role_access(self, endpoint: Endpoint, role: Role) -> None:
        refusal = getattr(endpoint, "refusals", {}).get(role)
        if refusal is None and not getattr(endpoint, "job", ""):
            super().test_role_access(endpoint, role)
            return
        world = World.build()
        user = world.users[role]
        response, rows = _send(endpoint, world, user)
        if refusal is not None:
            _assert_problem(response, refusal.status, refusal.code, refusal.rule)
            assert rows == [(action, str(user.pk), CORRELATION) for action in refusal.ledger]
        elif role in endpoint.allowed:
            assert response.status_code == 202, response.content[:500]
            assert rows == [(action, str(user.pk), CORRELATION) for action in endpoint.ledger_actions]
            _assert_job(response, endpoint, user)
        else:
            _assert_problem(response, 403, "forbidden")
            assert response.json()["action"] == f"rollout.{getattr(endpoint, 'job', '')}"
            assert rows == [], "a refused request must not write to the ledger"
            assert not JobRun.objects.exists()


def _send(endpoint: Endpoint, world: World, user: Any) -> tuple[Any, list[tuple[str, str, str]]]:
    from tests.api.base import prepare

    send = prepare(client_for(user), endpoint, world)
    before = LedgerEvent.objects.count()
    response = send()
    events = LedgerEvent.objects.order_by("sequence")[before:]
    assert response["X-Correlation-ID"] == CORRELATION
    return response, [(e.action, e.actor_id, e.correlation_id) for e in events]


def _assert_problem(response: Any, status: int, code: str, rule: str = "") -> None:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    if rule:
        assert body["rule"] == rule


def _assert_job(response: Any, endpoint: Any, user: Any) -> None:
    body = response.json()
    job = body["job"]
    assert (job["action"], job["status"], job["correlation_id"]) == (endpoint.job, "queued", CORRELATION)
    assert job["requested_by"]["id"] == str(user.pk)
    assert response["Location"] == f"/api/v1/jobs/{job['id']}/"
    assert body["rollout"]["intent"] == job["intent_id"]
    assert JobRun.objects.filter(pk=job["id"], intent_id=job["intent_id"]).exists()


# --- separation of duties on judgment, at the API ---------------------------------------------------


def _person(username: str, *roles: Role) -> Any:
    grants = [{"role": str(r), "boundary": "acme", "business_units": ["*"]} for r in roles]
    return identity.create_user(actor=BOOTSTRAP, username=unique(username), password=PASSWORD, roles=grants)


@pytest.mark.django_db
def test_the_packager_the_submitter_and_machines_never_judge_an_inconclusive_ring(world: World) -> None:
    packer = _person("packer", R.PACKAGING_ENGINEER, R.PUBLISHER)  # allowed together; checked per change
    submitter = _person("submitter", R.PUBLISHER, R.CAB_APPROVER)
    world.users[R.PACKAGING_ENGINEER], world.actors[R.PACKAGING_ENGINEER] = packer, from_user(packer)
    ring_plan = kit.plan("lab", "canary", sizes={"lab": 4})
    frozen = clocks.FrozenClock(timezone.now())
    with kit.simulator("jamf", kit.groups_of(ring_plan)) as srv, clocks.using(frozen):
        kit.connect(world, srv)
        sealed = kit.seal(world, platforms=("macos",), ring_plan=ring_plan)
        approvals.submit(actor=from_user(submitter), intent_id=sealed.intent.pk)  # a second Publisher submits
        drive = kit.Driver(sealed.intent, frozen, srv)
        drive.start(world.publisher)
        drive.wait(25)
        rollout = drive.advance()
    assert rollout.status == S.AWAITING_JUDGMENT, rollout.status_detail
    url = f"/api/v1/rollouts/{rollout.pk}/promote/"
    for person, why in ((packer, "packaged"), (submitter, "you submitted this change")):
        response = client_for(person).post(url, JUDGMENT, format="json", HTTP_X_CORRELATION_ID=CORRELATION)
        _assert_problem(response, 403, "separation-of-duties", "judge-not-conflicted")
        assert why in response.json()["detail"]
        refused = LedgerEvent.objects.order_by("-sequence").first()
        assert refused is not None
        assert (refused.action, refused.actor_id, (refused.after or {}).get("rule")) == (
            "sod.refused",
            str(person.pk),
            "judge-not-conflicted",
        )
    robot = identity.create_user(actor=world.actors[R.PLATFORM_ADMIN], username=unique("ci"), service_account=True)
    robot_client = client_for(robot)
    before = LedgerEvent.objects.count()
    response = robot_client.post(url, JUDGMENT, format="json")
    _assert_problem(response, 404, "not-found")  # a service account holds no role: it sees no rollout to act on
    for machine in (ASSISTANT, ENGINE):
        with pytest.raises(Forbidden):
            actions.apply(actor=machine, intent_id=rollout.intent_id, action="promote", reason="looks fine")
    assert list(LedgerEvent.objects.order_by("sequence")[before:].values_list("action", "actor_id")) == []
    assert kit.Driver(sealed.intent, frozen).ring("lab").state == RingState.AWAITING_JUDGMENT
