"""A CAB submission records the assistant draft it started from (`drafted_with`), in its row and its ledger
event; only the submitter's own answered draft-cab-note about the same intent may be named."""

from __future__ import annotations

import uuid

import pytest

from fleetgate.approvals import services as approvals
from fleetgate.approvals.models import CabSubmission
from fleetgate.assistant import engine
from fleetgate.core.errors import ValidationFailed
from fleetgate.core.roles import Role
from tests.factories import CAB_SUBMISSION, World, last_event, sealed_intent

pytestmark = pytest.mark.django_db


def test_a_submission_drafted_with_the_assistant_says_so_in_the_ledger(world: World) -> None:
    sealed = sealed_intent(world, high_risk=True)
    packager = world.actors[Role.PACKAGING_ENGINEER]
    answer = engine.run("draft_cab_note", actor=packager, intent_id=sealed.intent.pk)
    edited = {name: f"{text} Edited by the packager." for name, text in answer.draft.items()}
    row = approvals.create_submission(
        actor=packager, intent_id=sealed.intent.pk, data={**edited, "drafted_with": answer.interaction.pk}
    )
    assert (row.version, row.drafted_with_id) == (2, answer.interaction.pk)
    assert row.summary.endswith("Edited by the packager.")
    event = last_event()
    assert (event.action, event.subject_id) == ("cab_submission.created", str(row.pk))
    assert (event.after or {})["drafted_with"] == str(answer.interaction.pk)
    assert str(answer.interaction.pk) in event.reason
    plain = approvals.create_submission(actor=packager, intent_id=sealed.intent.pk, data=CAB_SUBMISSION)
    assert plain.drafted_with_id is None
    assert (last_event().after or {})["drafted_with"] is None


def test_only_the_submitters_own_draft_for_this_intent_may_be_named(world: World) -> None:
    sealed = sealed_intent(world, high_risk=True)
    other = sealed_intent(world, high_risk=True)
    packager = world.actors[Role.PACKAGING_ENGINEER]
    theirs = engine.run("draft_cab_note", actor=world.actors[Role.AUDITOR], intent_id=sealed.intent.pk)
    elsewhere = engine.run("draft_cab_note", actor=packager, intent_id=other.intent.pk)
    explained = engine.run("explain_risk", actor=packager, intent_id=sealed.intent.pk)
    before = CabSubmission.objects.count()
    for drafted_with, rule in (
        (theirs.interaction.pk, "same-user"),
        (elsewhere.interaction.pk, "same-intent"),
        (explained.interaction.pk, "draft-cab-note"),
        (uuid.uuid4(), "exists"),
        ("not-a-uuid", "uuid"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            approvals.create_submission(
                actor=packager, intent_id=sealed.intent.pk, data={**CAB_SUBMISSION, "drafted_with": drafted_with}
            )
        assert [(e.field, e.rule) for e in refused.value.errors] == [("drafted_with", rule)]
    assert CabSubmission.objects.count() == before
