"""CAB discussion threads: who may post, the exact ledger event, mentions resolved to people who can
read the request (one notification each, never the author), and refusals that leave nothing behind."""

from __future__ import annotations

import pytest

from fleetgate.approvals import services as approvals
from fleetgate.approvals.models import CabComment, CabRequest
from fleetgate.approvals.queries_comments import mentioned, readers
from fleetgate.audit.models import LedgerEvent
from fleetgate.core.actors import SYSTEM
from fleetgate.core.errors import Forbidden, InvalidTransition, ScopeViolation, ValidationFailed
from fleetgate.core.roles import Role
from fleetgate.identity.queries import from_user
from fleetgate.notifications.models import Notification
from tests.factories import World, last_event, make_user, sealed_intent

R = Role


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ("@sam please look", ["sam"]),
        ("ask @sam.", ["sam"]),
        ("@a.b-c_d+e, then @a.b-c_d+e again and @zoe", ["a.b-c_d+e", "zoe"]),
        ("mail ops@example.com, not a mention", []),
        ("@@sam and @ alone", []),
        ("(@kim)", ["kim"]),
    ],
)
def test_mentions_are_parsed_once_each_in_order(body: str, names: list[str]) -> None:
    assert mentioned(body) == names


def _request(world: World) -> CabRequest:
    sealed = sealed_intent(world, high_risk=True)
    approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
    return CabRequest.objects.get(intent=sealed.intent)


@pytest.mark.django_db
def test_a_comment_is_one_ledger_event_and_notifies_each_mentioned_person_but_the_author(world: World) -> None:
    request = _request(world)
    cab, ops, me = (world.users[r].username for r in (R.CAB_APPROVER, R.ENDPOINT_OPS, R.PUBLISHER))
    before = LedgerEvent.objects.count()
    comment = approvals.add_comment(
        actor=world.publisher, request_id=request.pk, body=f"  @{cab} @{ops} and me (@{me}): window is Saturday.  "
    )
    assert comment.body == f"@{cab} @{ops} and me (@{me}): window is Saturday."
    assert comment.mentions == [cab, ops, me]
    assert LedgerEvent.objects.count() == before + 1
    event = last_event()
    assert (event.action, event.subject_type, event.subject_id, event.actor_name) == (
        "cab_comment.added",
        "cab_request",
        str(request.pk),
        me,
    )
    assert event.after == {"comment": str(comment.pk), **comment.snapshot()}
    notes = Notification.objects.filter(event="cab.comment_mention").order_by("id")
    assert [(n.recipients, n.subject_id, n.payload["comment"]) for n in notes] == [
        ([cab], str(request.pk), str(comment.pk)),
        ([ops], str(request.pk), str(comment.pk)),
    ]


@pytest.mark.django_db
def test_auditors_read_only_and_service_identities_are_no_authors(world: World) -> None:
    request = _request(world)
    with pytest.raises(Forbidden):
        approvals.add_comment(actor=world.actors[R.AUDITOR], request_id=request.pk, body="I would like to comment")
    with pytest.raises(Forbidden):
        approvals.add_comment(actor=SYSTEM, request_id=request.pk, body="automated remark")
    outsider = from_user(make_user(R.CAB_APPROVER, boundary="globex"))
    with pytest.raises(ScopeViolation):
        approvals.add_comment(actor=outsider, request_id=request.pk, body="not my boundary")
    assert not CabComment.objects.exists()


@pytest.mark.django_db
def test_mentions_of_unknown_inactive_or_out_of_scope_people_refuse_the_comment(world: World) -> None:
    request = _request(world)
    outsider = make_user(R.CAB_APPROVER, boundary="globex")
    gone = make_user(R.CAB_APPROVER)
    gone.is_active = False
    gone.save()
    before = (LedgerEvent.objects.count(), Notification.objects.count())
    with pytest.raises(ValidationFailed) as refused:
        approvals.add_comment(
            actor=world.publisher,
            request_id=request.pk,
            body=f"@{world.users[R.CAB_APPROVER].username} @ghost @{outsider.username} @{gone.username}",
        )
    assert [(e.field, e.rule) for e in refused.value.errors] == [("body", "unknown-mention")] * 3
    assert (LedgerEvent.objects.count(), Notification.objects.count()) == before
    assert set(readers(request)) == {u.username for u in world.users.values()}


@pytest.mark.django_db
def test_the_thread_stays_open_after_approval_and_closes_when_the_request_is_voided_or_rejected(world: World) -> None:
    request = _request(world)
    with pytest.raises(ValidationFailed):
        approvals.add_comment(actor=world.publisher, request_id=request.pk, body="\n  ")
    approvals.decide(actor=world.actors[R.CAB_APPROVER], request_id=request.pk, kind="approve")
    request.refresh_from_db()
    assert request.state == "approved"
    approvals.add_comment(actor=world.publisher, request_id=request.pk, body="Thanks, starting Lab.")
    CabRequest.objects.filter(pk=request.pk).update(state="voided")
    with pytest.raises(InvalidTransition):
        approvals.add_comment(actor=world.publisher, request_id=request.pk, body="still there?")
    assert CabComment.objects.filter(request=request).count() == 1
