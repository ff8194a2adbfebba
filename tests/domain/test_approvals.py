"""Submission orchestration, CAB requests, decisions, quorum, separation of duties, expiry,
revocation, voiding by a new pack, and the promotion gate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from fleetgate.approvals import queries
from fleetgate.approvals import services as approvals
from fleetgate.approvals.models import CabDecision, CabRequest
from fleetgate.audit.models import LedgerEvent
from fleetgate.catalog import services as catalog
from fleetgate.core import actors
from fleetgate.core.errors import (
    AlreadyRevoked,
    ApprovalExpired,
    EvidenceIncomplete,
    Forbidden,
    RequestClosed,
    ScopeViolation,
    SeparationOfDuties,
    ValidationFailed,
)
from fleetgate.core.roles import Role
from fleetgate.evidence import services as evidence
from fleetgate.identity import services as identity
from fleetgate.identity.queries import from_user
from fleetgate.intents.models import DeploymentIntent
from fleetgate.notifications.models import Notification
from tests.factories import BOOTSTRAP, PASSWORD, Sealed, World, make_actor, ring_plan, sealed_intent, unique
from tests.fixtures.evidence import builders as b

pytestmark = pytest.mark.django_db
R = Role
PLAN = ring_plan("lab", "canary", "pilot", "department")


def _events_since(seq: int) -> list[str]:
    return list(LedgerEvent.objects.filter(sequence__gt=seq).order_by("sequence").values_list("action", flat=True))


def _head() -> int:
    return LedgerEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


def _awaiting(world: World, **kw: Any) -> tuple[Sealed, CabRequest]:
    sealed = sealed_intent(world, high_risk=True, ring_plan=PLAN, **kw)
    approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
    return sealed, CabRequest.objects.get(intent=sealed.intent)


def _approver(scope_bu: list[str] | None = None, boundary: str = "acme") -> Any:
    return make_actor(R.CAB_APPROVER, boundary=boundary, business_units=scope_bu)


def _multi_role(*roles: Role) -> Any:
    user = identity.create_user(
        actor=BOOTSTRAP,
        username=unique("multi"),
        password=PASSWORD,
        roles=[{"role": str(r), "boundary": "acme", "business_units": ["*"]} for r in roles],
    )
    return from_user(user)


# --- submission --------------------------------------------------------------------------------------


def test_low_risk_submit_records_cab_not_required_with_the_assessment(world: World) -> None:
    sealed = sealed_intent(world)
    head = _head()
    intent = approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
    assert intent.state == "approved"
    assert _events_since(head) == ["intent.submitted", "intent.cab_not_required"]
    event = LedgerEvent.objects.get(action="intent.cab_not_required")
    assert event.actor_id == world.publisher.id
    assert event.after["assessment_id"] == str(sealed.assessment.pk)
    assert event.after["decided_by"] == "policy"
    assert event.after["pack_version"] == 1
    assert (event.before["state"], event.after["state"]) == ("submitted", "approved")
    assert not CabRequest.objects.exists()


def test_high_risk_submit_opens_a_cab_request_bound_to_pack_and_assessment(world: World) -> None:
    sealed = sealed_intent(world, high_risk=True)
    head = _head()
    intent = approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
    assert intent.state == "awaiting_cab"
    assert _events_since(head) == ["intent.submitted", "intent.cab_required", "cab_request.opened"]
    request = CabRequest.objects.get()
    assert (request.evidence_pack_id, request.pack_version, request.assessment_id) == (
        sealed.pack.pk,
        1,
        sealed.assessment.pk,
    )
    assert request.submission is not None
    assert (request.quorum, request.state) == (1, "open")
    note = Notification.objects.get(event="cab_request.opened")
    assert note.recipients == [world.users[R.CAB_APPROVER].username]


def test_submit_without_a_pack_lists_every_gap_and_changes_nothing(world: World) -> None:
    from tests.fixtures.evidence.world import build

    ew = build(world)
    ew.add_all(skip=("malware_scan", "test_evidence"))
    head = _head()
    with pytest.raises(EvidenceIncomplete) as caught:
        approvals.submit(actor=world.publisher, intent_id=ew.intent.pk)
    rules = {(e.field, e.rule) for e in caught.value.errors}
    assert {
        ("sections.malware_scan", "sections-present"),
        ("sections.test_evidence", "sections-present"),
        ("risk", "risk-assessed"),
        ("evidence_pack", "pack-sealed"),
    } <= rules
    assert DeploymentIntent.objects.get(pk=ew.intent.pk).state == "draft"
    assert _head() == head


def test_submit_without_any_artifact_says_so(world: World) -> None:
    intent = world.intent()
    with pytest.raises(EvidenceIncomplete) as caught:
        approvals.submit(actor=world.publisher, intent_id=intent.pk)
    assert [e.rule for e in caught.value.errors] == ["artifact-registered", "pack-sealed"]


def test_a_newer_assessment_than_the_pack_is_a_gap(world: World) -> None:
    sealed = sealed_intent(world)
    sealed.evidence.assess()
    with pytest.raises(EvidenceIncomplete) as caught:
        approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
    assert [(e.field, e.rule) for e in caught.value.errors] == [("risk", "risk-assessed")]


@pytest.mark.parametrize(
    ("klass", "quorum"),
    [("critical_infrastructure", 3), ("business_critical", 2), ("productivity", 1), ("non_critical", 1)],
)
def test_quorum_follows_the_blast_radius_class(world: World, klass: str, quorum: int) -> None:
    catalog.classify_application(
        actor=world.actors[R.SECURITY_REVIEWER], application_id=world.app.pk, blast_radius_class=klass, reason="r"
    )
    _, request = _awaiting(world)
    assert (request.quorum, request.blast_radius_class) == (quorum, klass)


# --- decisions -----------------------------------------------------------------------------------------


def test_quorum_of_two_distinct_people_approves_exactly_once(world: World) -> None:
    catalog.classify_application(
        actor=world.actors[R.PLATFORM_ADMIN],
        application_id=world.app.pk,
        blast_radius_class="business_critical",
        reason="payroll",
    )
    sealed, request = _awaiting(world)
    first, second = _approver(), _approver()
    approvals.decide(actor=first, request_id=request.pk, kind="approve")
    assert DeploymentIntent.objects.get(pk=sealed.intent.pk).state == "awaiting_cab"
    with pytest.raises(SeparationOfDuties) as again:
        approvals.decide(actor=first, request_id=request.pk, kind="approve")
    assert again.value.extra["rule"] == "one-person-once"
    head = _head()
    approvals.decide(actor=second, request_id=request.pk, kind="approve")
    assert _events_since(head) == ["cab.decision_recorded", "intent.approved"]
    assert DeploymentIntent.objects.get(pk=sealed.intent.pk).state == "approved"
    assert CabRequest.objects.get(pk=request.pk).state == "approved"
    with pytest.raises(RequestClosed):
        approvals.decide(actor=_approver(), request_id=request.pk, kind="approve")


@pytest.mark.parametrize("who", ["publisher", "packager", "submitter-publisher"])
def test_conflicted_people_are_refused_and_the_refusal_is_a_ledger_event(world: World, who: str) -> None:
    if who == "packager":
        world.actors[R.PACKAGING_ENGINEER] = _multi_role(R.PACKAGING_ENGINEER, R.CAB_APPROVER)
        _, request = _awaiting(world)
        actor = world.actors[R.PACKAGING_ENGINEER]
        expected = "packaged"
    else:
        world.actors[R.PUBLISHER] = _multi_role(R.PUBLISHER, R.CAB_APPROVER)
        _, request = _awaiting(world)
        actor = world.actors[R.PUBLISHER]
        expected = "submitted"
    head = _head()
    with pytest.raises(SeparationOfDuties) as caught:
        approvals.decide(actor=actor, request_id=request.pk, kind="approve")
    assert caught.value.code == "separation-of-duties"
    assert expected in caught.value.detail
    assert _events_since(head) == ["sod.refused"]
    event = LedgerEvent.objects.get(action="sod.refused")
    assert (event.actor_id, event.subject_id, event.after["rule"]) == (
        actor.id,
        str(request.pk),
        "conflict-of-interest",
    )
    assert event.severity == "warning"
    assert not CabDecision.objects.exists()


@pytest.mark.parametrize(
    "actor", [actors.ASSISTANT, actors.SYSTEM, actors.service("connector", frozenset({"cab.decide"}))]
)
def test_assistant_and_service_identities_never_decide(world: World, actor: Any) -> None:
    _, request = _awaiting(world)
    head = _head()
    with pytest.raises(SeparationOfDuties):
        approvals.decide(actor=actor, request_id=request.pk, kind="approve")
    assert _events_since(head) == ["sod.refused"]
    assert LedgerEvent.objects.get(action="sod.refused").after["rule"] == "people-decide"


def test_role_and_scope_are_checked_before_anything_else(world: World) -> None:
    _, request = _awaiting(world)
    globex, sales = _approver(boundary="globex"), _approver(["sales"])
    head = _head()
    with pytest.raises(ScopeViolation):
        approvals.decide(actor=globex, request_id=request.pk, kind="approve")
    with pytest.raises(ScopeViolation):
        approvals.decide(actor=sales, request_id=request.pk, kind="approve")
    with pytest.raises(Forbidden):
        approvals.decide(actor=world.actors[R.SECURITY_REVIEWER], request_id=request.pk, kind="approve")
    assert _head() == head


def test_reject_needs_a_reason_and_rejects_the_intent(world: World) -> None:
    sealed, request = _awaiting(world)
    cab = world.actors[R.CAB_APPROVER]
    with pytest.raises(ValidationFailed) as caught:
        approvals.decide(actor=cab, request_id=request.pk, kind="reject", reason=" ")
    assert [(e.field, e.rule) for e in caught.value.errors] == [("reason", "required")]
    head = _head()
    approvals.decide(actor=cab, request_id=request.pk, kind="reject", reason="Rollback untested on macOS")
    assert _events_since(head) == ["cab.decision_recorded", "intent.rejected"]
    assert DeploymentIntent.objects.get(pk=sealed.intent.pk).state == "rejected"
    with pytest.raises(RequestClosed) as closed:
        approvals.decide(actor=_approver(), request_id=request.pk, kind="approve")
    assert closed.value.status == 409


@pytest.mark.parametrize(
    ("conditions", "field", "rule"),
    [
        ({"max_ring": "global"}, "conditions.max_ring", "in-ring-plan"),
        ({"min_success_threshold": 0.9}, "conditions.min_success_threshold", "stricter-than-policy"),
        ({"min_success_threshold": 1.2}, "conditions.min_success_threshold", "stricter-than-policy"),
        ({"min_soak_hours": 24}, "conditions.min_soak_hours", "stricter-than-policy"),
        ({"monitoring_window_hours": 0}, "conditions.monitoring_window_hours", "range"),
        ({"colour": "red"}, "conditions.colour", "unknown-field"),
        ({}, "conditions", "required"),
    ],
)
def test_conditions_that_contradict_the_plan_or_policy_are_400s(
    world: World, conditions: dict[str, Any], field: str, rule: str
) -> None:
    _, request = _awaiting(world)
    with pytest.raises(ValidationFailed) as caught:
        approvals.decide(
            actor=world.actors[R.CAB_APPROVER], request_id=request.pk, kind="conditional", conditions=conditions
        )
    assert (field, rule) in {(e.field, e.rule) for e in caught.value.errors}
    assert caught.value.status == 400


def test_approval_lifetime_is_policy_bounded(world: World) -> None:
    _, request = _awaiting(world)
    with pytest.raises(ValidationFailed) as caught:
        approvals.decide(actor=world.actors[R.CAB_APPROVER], request_id=request.pk, kind="approve", expires_in_days=91)
    assert caught.value.errors[0].field == "expires_in_days"


def test_conditional_approval_caps_the_ring_and_passes_conditions(world: World) -> None:
    sealed, request = _awaiting(world)
    approvals.decide(
        actor=world.actors[R.CAB_APPROVER],
        request_id=request.pk,
        kind="conditional",
        conditions={"max_ring": "pilot", "min_success_threshold": 0.995, "min_soak_hours": 72},
    )
    intent = DeploymentIntent.objects.get(pk=sealed.intent.pk)
    pilot = queries.promotion_allowed(intent, "pilot")
    assert pilot.ok, pilot.reasons
    assert pilot.conditions == {"max_ring": "pilot", "min_success_threshold": 0.995, "min_soak_hours": 72}
    department = queries.promotion_allowed(intent, "department")
    assert not department.ok
    assert "up to pilot" in department.reasons[0]


# --- promotion, expiry, revocation, voiding ------------------------------------------------------------------


def test_no_ring_past_canary_without_the_required_approval(world: World) -> None:
    sealed, request = _awaiting(world)
    intent = DeploymentIntent.objects.get(pk=sealed.intent.pk)
    assert queries.promotion_allowed(intent, "lab").ok
    assert queries.promotion_allowed(intent, "canary").ok
    pilot = queries.promotion_allowed(intent, "pilot")
    assert not pilot.ok
    assert not queries.promotion_allowed(intent, "global").ok  # not in the plan
    approvals.decide(actor=world.actors[R.CAB_APPROVER], request_id=request.pk, kind="approve")
    intent.refresh_from_db()
    assert queries.promotion_allowed(intent, "pilot").ok


def test_low_risk_needs_no_cab_for_pilot(world: World) -> None:
    sealed = sealed_intent(world, ring_plan=PLAN)
    intent = approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
    assert queries.promotion_allowed(intent, "department").ok


def test_an_expired_approval_no_longer_counts(world: World) -> None:
    sealed, request = _awaiting(world)
    t0 = timezone.now()
    decision = approvals.decide(
        actor=world.actors[R.CAB_APPROVER], request_id=request.pk, kind="approve", now=t0, expires_in_days=30
    )
    intent = DeploymentIntent.objects.get(pk=sealed.intent.pk)
    assert queries.promotion_allowed(intent, "pilot", at=t0 + timedelta(days=29)).ok
    late = queries.promotion_allowed(intent, "pilot", at=t0 + timedelta(days=31))
    assert not late.ok
    assert "expired or were revoked" in late.reasons[0]
    with pytest.raises(ApprovalExpired) as caught:
        approvals.revoke(
            actor=world.actors[R.PLATFORM_ADMIN], decision_id=decision.pk, reason="x", now=t0 + timedelta(days=31)
        )
    assert caught.value.status == 409


def test_platform_admin_revokes_once_with_a_reason(world: World) -> None:
    sealed, request = _awaiting(world)
    decision = approvals.decide(actor=world.actors[R.CAB_APPROVER], request_id=request.pk, kind="approve")
    admin = world.actors[R.PLATFORM_ADMIN]
    with pytest.raises(Forbidden):
        approvals.revoke(actor=world.actors[R.CAB_APPROVER], decision_id=decision.pk, reason="mine")
    with pytest.raises(ValidationFailed):
        approvals.revoke(actor=admin, decision_id=decision.pk, reason="")
    head = _head()
    approvals.revoke(actor=admin, decision_id=decision.pk, reason="Approver left the company")
    assert _events_since(head) == ["cab.approval_revoked"]
    assert LedgerEvent.objects.get(action="cab.approval_revoked").after["approvals_in_force"] == 0
    with pytest.raises(AlreadyRevoked) as twice:
        approvals.revoke(actor=admin, decision_id=decision.pk, reason="again")
    assert twice.value.status == 409
    assert CabDecision.objects.get(pk=decision.pk).kind == "approve"  # the decision itself never changes
    assert not queries.promotion_allowed(DeploymentIntent.objects.get(pk=sealed.intent.pk), "pilot").ok


def test_a_new_pack_version_voids_approvals_and_asks_cab_again(world: World) -> None:
    sealed, request = _awaiting(world)
    approvals.decide(actor=world.actors[R.CAB_APPROVER], request_id=request.pk, kind="approve")
    intent = DeploymentIntent.objects.get(pk=sealed.intent.pk)
    assert queries.promotion_allowed(intent, "pilot").ok
    sealed.evidence.add("test_evidence", b.lab_results(succeeded=7))
    head = _head()
    pack2 = evidence.seal_pack(actor=sealed.evidence.packager, intent_id=intent.pk, artifact_id=sealed.artifact.pk)
    assert _events_since(head) == ["cab_request.voided", "cab_request.opened", "evidence_pack.sealed"]
    assert CabRequest.objects.get(pk=request.pk).state == "voided"
    fresh = CabRequest.objects.get(state="open")
    assert (fresh.evidence_pack_id, fresh.pack_version) == (pack2.pk, 2)
    assert not queries.promotion_allowed(intent, "pilot").ok
    approvals.decide(actor=_approver(), request_id=fresh.pk, kind="approve")
    intent.refresh_from_db()
    assert intent.state == "approved"  # approved once; the re-approval does not transition again
    assert queries.promotion_allowed(intent, "pilot").ok


def test_pending_queue_respects_scope_and_duties(world: World) -> None:
    _, request = _awaiting(world)
    assert [r.pk for r in queries.pending_for(world.actors[R.CAB_APPROVER])] == [request.pk]
    assert queries.pending_for(_approver(["sales"])) == []
    assert queries.pending_for(world.publisher) == []
    assert [r.pk for r in queries.mine(world.publisher)] == [request.pk]
    review = queries.review(request)
    assert review["scope"]["quorum"] == 1
    assert review["risk"]["cab_required"] is True
    assert review["evidence"]["current"] is True
    assert review["diff"]["previous"] is None


def test_review_diff_names_the_previous_approved_change(world: World) -> None:
    first = sealed_intent(world)
    approvals.submit(actor=world.publisher, intent_id=first.intent.pk)
    diff = queries.diff_from_previous(world.intent(ring_plan=ring_plan("lab"), version="1.1.0"))
    assert diff["previous"]["id"] == str(first.intent.pk)
    assert diff["changes"]["version"] == {"from": "1.0.0", "to": "1.1.0"}
    assert "ring_plan" in diff["changes"]
