"""Break-glass: dual control, at most 4 hours, skips soak only, critical event, review within 24 h."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fleetgate.approvals import queries
from fleetgate.approvals import services as approvals
from fleetgate.audit.models import LedgerEvent
from fleetgate.core import actors
from fleetgate.core.errors import Forbidden, InvalidTransition, SeparationOfDuties, ValidationFailed
from fleetgate.core.roles import Role
from fleetgate.identity import services as identity
from fleetgate.identity.queries import from_user
from fleetgate.intents.models import DeploymentIntent
from fleetgate.notifications.models import Notification
from tests.factories import World, make_actor, make_user, ring_plan, sealed_intent

pytestmark = pytest.mark.django_db
R = Role
REASON = "P1 CVE-2026-1234 actively exploited; vendor hotfix 1.0.1."


def _approved(world: World) -> DeploymentIntent:
    sealed = sealed_intent(world, ring_plan=ring_plan("lab", "canary", "pilot"))
    return approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)


def test_dual_control_then_a_critical_event_and_a_review_item(world: World) -> None:
    intent = _approved(world)
    t0 = timezone.now()
    row = approvals.request_breakglass(
        actor=world.publisher, intent_id=intent.pk, priority="P1", reason=REASON, duration_hours=4, now=t0
    )
    assert not queries.promotion_allowed(intent, "pilot", at=t0).skip_soak
    security = world.actors[R.SECURITY_REVIEWER]
    row = approvals.confirm_breakglass(actor=security, breakglass_id=row.pk, now=t0)
    assert (row.state, row.expires_at, row.review_due_at) == (
        "active",
        t0 + timedelta(hours=4),
        t0 + timedelta(hours=24),
    )
    event = LedgerEvent.objects.get(action="breakglass.activated")
    assert (event.severity, event.actor_id) == ("critical", security.id)
    assert Notification.objects.get(event="breakglass.used").recipients == [world.users[R.CAB_APPROVER].username]
    during = queries.promotion_allowed(intent, "pilot", at=t0 + timedelta(hours=1))
    assert during.ok
    assert during.skip_soak
    assert not queries.promotion_allowed(intent, "pilot", at=t0 + timedelta(hours=4, seconds=1)).skip_soak
    assert [r.pk for r in queries.reviews_due()] == [row.pk]
    reviewed = approvals.review_breakglass(
        actor=world.actors[R.CAB_APPROVER],
        breakglass_id=row.pk,
        notes="Justified: exploited in the wild, fix verified.",
    )
    assert reviewed.state == "reviewed"
    assert LedgerEvent.objects.get(action="breakglass.reviewed").after["overdue"] is False


def test_the_requester_cannot_confirm(world: World) -> None:
    intent = _approved(world)
    security = world.actors[R.SECURITY_REVIEWER]
    row = approvals.request_breakglass(
        actor=security, intent_id=intent.pk, priority="P0", reason=REASON, duration_hours=2
    )
    with pytest.raises(SeparationOfDuties) as caught:
        approvals.confirm_breakglass(actor=security, breakglass_id=row.pk)
    assert caught.value.extra["rule"] == "dual-control"
    assert LedgerEvent.objects.filter(action="sod.refused", subject_id=str(row.pk)).count() == 1
    with pytest.raises(SeparationOfDuties):
        approvals.confirm_breakglass(actor=actors.ASSISTANT, breakglass_id=row.pk)
    with pytest.raises(Forbidden):
        approvals.confirm_breakglass(actor=world.actors[R.ENDPOINT_OPS], breakglass_id=row.pk)
    cab = world.actors[R.CAB_APPROVER]
    approvals.confirm_breakglass(actor=cab, breakglass_id=row.pk)
    with pytest.raises(SeparationOfDuties):
        approvals.review_breakglass(actor=cab, breakglass_id=row.pk, notes="Reviewed my own confirmation, fine.")
    assert (
        approvals.review_breakglass(
            actor=make_actor(R.CAB_APPROVER), breakglass_id=row.pk, notes="Independent review: justified P0."
        ).reviewed_by
        is not None
    )


@pytest.mark.parametrize(
    ("priority", "hours", "reason", "field"),
    [
        ("P2", 2, REASON, "priority"),
        ("P0", 5, REASON, "duration_hours"),
        ("P0", 0, REASON, "duration_hours"),
        ("P0", 2, "it is urgent", "reason"),
    ],
)
def test_bad_break_glass_requests(world: World, priority: str, hours: int, reason: str, field: str) -> None:
    intent = _approved(world)
    with pytest.raises(ValidationFailed) as caught:
        approvals.request_breakglass(
            actor=world.publisher, intent_id=intent.pk, priority=priority, reason=reason, duration_hours=hours
        )
    assert caught.value.errors[0].field == field


def test_break_glass_needs_a_submitted_change_and_never_skips_approval(world: World) -> None:
    draft = world.intent()
    with pytest.raises(InvalidTransition):
        approvals.request_breakglass(
            actor=world.publisher, intent_id=draft.pk, priority="P0", reason=REASON, duration_hours=1
        )
    sealed = sealed_intent(world, high_risk=True, ring_plan=ring_plan("lab", "canary", "pilot"))
    intent = approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
    row = approvals.request_breakglass(
        actor=world.publisher, intent_id=intent.pk, priority="P0", reason=REASON, duration_hours=1
    )
    approvals.confirm_breakglass(actor=world.actors[R.SECURITY_REVIEWER], breakglass_id=row.pk)
    decision = queries.promotion_allowed(intent, "pilot")
    assert decision.skip_soak
    assert not decision.ok  # break-glass skips soak, not CAB


def _granted_now(world: World, role: Role) -> actors.Actor:
    """Someone granted `role` just now, the legitimate way: one Platform Admin asks, a second approves."""
    user = make_user(None)
    row = identity.request_grant(
        actor=world.actors[R.PLATFORM_ADMIN], user_id=user.pk, role=str(role), reason="Joins the change board today."
    )
    identity.approve_grant(actor=make_actor(R.PLATFORM_ADMIN), request_id=row.pk)
    return from_user(user)


def test_a_newly_granted_role_never_confirms_or_reviews_a_break_glass_requested_before(world: World) -> None:
    intent = _approved(world)
    row = approvals.request_breakglass(
        actor=world.publisher, intent_id=intent.pk, priority="P1", reason=REASON, duration_hours=2
    )
    late_security, late_cab = _granted_now(world, R.SECURITY_REVIEWER), _granted_now(world, R.CAB_APPROVER)
    attempts = [
        lambda: approvals.confirm_breakglass(actor=late_security, breakglass_id=row.pk),
        lambda: approvals.confirm_breakglass(actor=late_cab, breakglass_id=row.pk),
        lambda: approvals.review_breakglass(actor=late_cab, breakglass_id=row.pk, notes="Reviewed: justified, P1 fix."),
    ]
    for i, attempt in enumerate(attempts):
        if i == 2:
            approvals.confirm_breakglass(actor=world.actors[R.SECURITY_REVIEWER], breakglass_id=row.pk)
        with pytest.raises(SeparationOfDuties) as caught:
            attempt()
        assert caught.value.extra["rule"] == "role-granted-after-opening"
        assert "granted after this break-glass was requested" in caught.value.detail
    refusals = LedgerEvent.objects.filter(action="sod.refused", subject_id=str(row.pk))
    assert [e.after["rule"] for e in refusals] == ["role-granted-after-opening"] * 3
    reviewed = approvals.review_breakglass(
        actor=world.actors[R.CAB_APPROVER], breakglass_id=row.pk, notes="Reviewed by a standing CAB member."
    )
    assert reviewed.state == "reviewed"
    later = approvals.request_breakglass(
        actor=world.publisher, intent_id=intent.pk, priority="P0", reason=REASON, duration_hours=1
    )
    assert approvals.confirm_breakglass(actor=late_cab, breakglass_id=later.pk).state == "active"
