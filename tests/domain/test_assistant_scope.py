"""The assistant reads like the asker reads the records themselves (core.scoping): a subject outside their
scope is "not found", one inside it is found even when its application spans other business units, and no
answer names or cites a record (a previous change, an intent, a ledger event) the asker could not open."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from fleetgate.approvals import services as approvals
from fleetgate.assistant import engine
from fleetgate.core.actors import Actor
from fleetgate.core.errors import NotFound
from fleetgate.core.roles import Role
from fleetgate.identity.queries import from_user
from tests.factories import Sealed, World, make_user, sealed_intent

pytestmark = pytest.mark.django_db


@dataclass
class TwoUnits:
    finance: Sealed  # acme/finance, approved: the application's last good change
    engineering: Sealed  # acme/engineering, sealed, not submitted
    engineer_user: Any  # a Publisher of acme/engineering only
    outsider_user: Any  # a Publisher of globex

    @property
    def engineer(self) -> Actor:
        return from_user(self.engineer_user)

    @property
    def outsider(self) -> Actor:
        return from_user(self.outsider_user)


def two_units(world: World) -> TwoUnits:
    finance = sealed_intent(world)
    approvals.submit(actor=world.publisher, intent_id=finance.intent.pk)  # low risk: approved by policy
    engineering = sealed_intent(world, target_business_unit="engineering")
    return TwoUnits(
        finance,
        engineering,
        make_user(Role.PUBLISHER, "acme", ["engineering"]),
        make_user(Role.PUBLISHER, "globex"),
    )


def _cited(answer: engine.Answer) -> set[tuple[str, str]]:
    return {(c["type"], c["id"]) for c in answer.citations}


def test_subjects_in_scope_are_found_and_others_are_not(world: World) -> None:
    t = two_units(world)
    fin, eng = t.finance, t.engineering
    # the engineering pack belongs to an engineering intent, though the application spans finance too
    answer = engine.run("summarise_evidence", actor=t.engineer, pack_id=eng.pack.pk)
    assert ("evidence_pack", str(eng.pack.pk)) in _cited(answer)
    assert engine.run("explain_risk", actor=t.engineer, assessment_id=eng.assessment.pk).citations
    for actor in (t.engineer, t.outsider):
        for feature, args in (
            ("explain_risk", {"assessment_id": fin.assessment.pk}),
            ("explain_risk", {"intent_id": fin.intent.pk}),
            ("summarise_evidence", {"pack_id": fin.pack.pk}),
            ("summarise_evidence", {"intent_id": fin.intent.pk}),
            ("draft_cab_note", {"intent_id": fin.intent.pk}),
            ("explain_ring", {"intent_id": fin.intent.pk}),
        ):
            with pytest.raises(NotFound):
                engine.run(feature, actor=actor, **args)


def test_a_previous_change_outside_scope_is_neither_named_nor_cited(world: World) -> None:
    t = two_units(world)
    fin, eng = t.finance, t.engineering
    mine = engine.run("draft_cab_note", actor=t.engineer, intent_id=eng.intent.pk)
    assert fin.intent.name not in mine.text
    assert fin.intent.name not in " ".join(mine.draft.values())
    assert ("intent", str(fin.intent.pk)) not in _cited(mine)
    # an Auditor reads both units: the same note names and cites the previous change
    audited = engine.run("draft_cab_note", actor=world.actors[Role.AUDITOR], intent_id=eng.intent.pk)
    assert f"Previous change: {fin.intent.name}" in audited.draft["justification"]
    assert ("intent", str(fin.intent.pk)) in _cited(audited)


def test_ask_cites_only_records_in_the_askers_scope(world: World) -> None:
    t = two_units(world)
    question = f"What is the status of {world.app.name}?"
    mine = engine.run("ask", actor=t.engineer, question=question)
    intents = {i for kind, i in _cited(mine) if kind == "intent"}
    assert intents == {str(t.engineering.intent.pk)}
    assert t.finance.intent.name not in mine.text
    assert ("application", str(world.app.pk)) in _cited(mine)
    everything = engine.run("ask", actor=world.actors[Role.AUDITOR], question=question)
    assert {i for kind, i in _cited(everything) if kind == "intent"} == {
        str(t.finance.intent.pk),
        str(t.engineering.intent.pk),
    }
    outside = engine.run("ask", actor=t.outsider, question=question)
    assert outside.citations == []
    lib = engine.run("ask", actor=t.outsider, question="Which artifacts contain lib1 1.1.0?")
    assert lib.citations == []
