"""Property test: random sequences of people (roles, scopes, conflicts), non-human actors and CAB actions
never break the invariants: no self-approval, quorum per distinct person, no decision by assistant or
service identities, no promotion past canary without the required approval, one ledger event per
accepted action (plus one for the intent transition it causes), one for each refusal on duty grounds."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetgate.approvals import queries
from fleetgate.approvals import services as approvals
from fleetgate.approvals.models import CabDecision, CabRequest
from fleetgate.audit.models import LedgerEvent
from fleetgate.catalog import services as catalog
from fleetgate.core import actors
from fleetgate.core.errors import DomainError, SeparationOfDuties
from fleetgate.core.roles import Role
from fleetgate.identity import services as identity
from fleetgate.identity.queries import from_user
from fleetgate.intents.models import DeploymentIntent
from tests.factories import BOOTSTRAP, PASSWORD, World, ring_plan, rolled_back_example, sealed_intent, unique

pytestmark = pytest.mark.django_db
R = Role
PEOPLE = [
    "cab1",
    "cab2",
    "cab3",
    "cab4",
    "cab-sales-only",
    "cab-globex",
    "publisher+cab",
    "packager+cab",
    "admin",
    "auditor",
]
ACTORS = [*PEOPLE, "assistant", "service"]
ACTIONS = ["approve", "reject", "conditional", "revoke"]


def _person(roles: list[tuple[Role, str, list[str]]]) -> Any:
    user = identity.create_user(
        actor=BOOTSTRAP,
        username=unique("p"),
        password=PASSWORD,
        roles=[{"role": str(r), "boundary": b, "business_units": bu} for r, b, bu in roles],
    )
    return from_user(user)


def _cast(world: World) -> dict[str, Any]:
    cab = [(R.CAB_APPROVER, "acme", ["*"])]
    cast = {f"cab{i}": _person(cab) for i in range(1, 5)}
    cast["cab-sales-only"] = _person([(R.CAB_APPROVER, "acme", ["sales"])])
    cast["cab-globex"] = _person([(R.CAB_APPROVER, "globex", ["*"])])
    cast["publisher+cab"] = _person([(R.PUBLISHER, "acme", ["*"]), *cab])
    cast["packager+cab"] = _person([(R.PACKAGING_ENGINEER, "acme", ["*"]), *cab])
    cast["admin"] = world.actors[R.PLATFORM_ADMIN]
    cast["auditor"] = world.actors[R.AUDITOR]
    cast["assistant"] = actors.ASSISTANT
    cast["service"] = actors.service("rogue", frozenset({"cab.decide", "cab.revoke"}))
    return cast


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    klass=st.sampled_from(["critical_infrastructure", "business_critical", "productivity"]),
    steps=st.lists(st.tuples(st.sampled_from(ACTORS), st.sampled_from(ACTIONS)), min_size=1, max_size=12),
)
def test_cab_invariants_hold_for_any_sequence(db: Any, klass: str, steps: list[tuple[str, str]]) -> None:
    with rolled_back_example():
        _run(klass, steps)


def _run(klass: str, steps: list[tuple[str, str]]) -> None:
    world = World.build()
    cast = _cast(world)
    world.actors[R.PUBLISHER] = cast["publisher+cab"]
    world.actors[R.PACKAGING_ENGINEER] = cast["packager+cab"]
    catalog.classify_application(
        actor=world.actors[R.PLATFORM_ADMIN], application_id=world.app.pk, blast_radius_class=klass, reason="test"
    )
    sealed = sealed_intent(world, high_risk=True, ring_plan=ring_plan("lab", "canary", "pilot"))
    approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
    request = CabRequest.objects.get(intent=sealed.intent)
    humans = {a.user_pk for name, a in cast.items() if name.startswith("cab") and "-" not in name}
    for who, what in steps:
        actor = cast[who]
        before = LedgerEvent.objects.count()
        state_before = DeploymentIntent.objects.get(pk=sealed.intent.pk).state
        accepted, sod = True, False
        try:
            if what == "revoke":
                decision = CabDecision.objects.filter(request=request, kind="approve").first()
                if decision is None:
                    continue
                approvals.revoke(actor=actor, decision_id=decision.pk, reason="property test")
            else:
                approvals.decide(
                    actor=actor,
                    request_id=request.pk,
                    kind=what,
                    reason="property test reason",
                    conditions={"monitoring_window_hours": 24} if what == "conditional" else None,
                )
        except SeparationOfDuties:
            accepted, sod = False, True
        except DomainError:
            accepted = False
        state_after = DeploymentIntent.objects.get(pk=sealed.intent.pk).state
        transitions = int(state_after != state_before)
        delta = LedgerEvent.objects.count() - before
        if accepted:
            assert delta == 1 + transitions, (who, what)
        else:
            assert delta == (1 if sod else 0), (who, what)
            assert transitions == 0
        if who in ("assistant", "service") and what != "revoke":
            assert sod
        _check(sealed.intent.pk, request.pk, humans)


def _check(intent_id: Any, request_id: Any, humans: set[int | None]) -> None:
    request = CabRequest.objects.get(pk=request_id)
    intent = DeploymentIntent.objects.get(pk=intent_id)
    decisions = list(CabDecision.objects.filter(request=request))
    approvers = [d.approver_id for d in decisions]
    assert len(approvers) == len(set(approvers)), "one person counts once"
    assert set(approvers) <= humans, "only unconflicted people in scope decide (never publisher, packager, robots)"
    approving = {d.approver_id for d in decisions if d.kind in ("approve", "conditional")}
    assert LedgerEvent.objects.filter(action="intent.approved", subject_id=str(intent_id)).count() <= 1
    if intent.state == "approved":
        assert len(approving) >= request.quorum
        assert not any(d.kind == "reject" for d in decisions)
    if intent.state == "rejected":
        assert any(d.kind == "reject" for d in decisions)
    pilot = queries.promotion_allowed(intent, "pilot")
    if pilot.ok:
        assert intent.state == "approved"
        assert request.state == "approved"
        assert len(queries.approvals_in_force(request, _now())) >= request.quorum
    assert queries.promotion_allowed(intent, "canary").ok == (intent.state in ("awaiting_cab", "approved"))


def _now() -> Any:
    from django.utils import timezone

    return timezone.now()
