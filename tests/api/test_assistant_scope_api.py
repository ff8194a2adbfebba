"""Over HTTP the assistant answers a subject exactly when the record's own detail does: 404 (a problem)
for one outside the asker's scope, 200 for one inside it; `ask` cites only what the asker could open.
A CAB submission names the draft it came from (`drafted_with`), refused as a problem naming the field."""

from __future__ import annotations

import pytest

from fleetgate.assistant.models import Interaction
from fleetgate.audit.models import LedgerEvent
from fleetgate.core.roles import Role
from tests.api.base import client_for
from tests.domain.test_assistant_scope import two_units
from tests.factories import World, sealed_intent

pytestmark = pytest.mark.django_db


def test_a_subject_answers_like_its_own_detail(world: World) -> None:
    t = two_units(world)
    fin, eng = t.finance, t.engineering
    engineer, outsider = client_for(t.engineer_user), client_for(t.outsider_user)
    assert engineer.get(f"/api/v1/evidence-packs/{eng.pack.pk}/").status_code == 200
    mine = engineer.post("/api/v1/assistant/summarise-evidence/", {"pack_id": str(eng.pack.pk)}, format="json")
    assert mine.status_code == 200, mine.content
    assert {c["id"] for c in mine.json()["citations"]} >= {str(eng.pack.pk), str(eng.intent.pk)}
    for client in (engineer, outsider):
        assert client.get(f"/api/v1/intents/{fin.intent.pk}/").status_code == 404
        assert client.get(f"/api/v1/evidence-packs/{fin.pack.pk}/").status_code == 404
        before = Interaction.objects.count()
        for path, body in (
            ("explain-risk", {"assessment_id": str(fin.assessment.pk)}),
            ("summarise-evidence", {"pack_id": str(fin.pack.pk)}),
            ("draft-cab-note", {"intent_id": str(fin.intent.pk)}),
            ("explain-ring", {"intent_id": str(fin.intent.pk)}),
        ):
            response = client.post(f"/api/v1/assistant/{path}/", body, format="json")
            assert response.status_code == 404, (path, response.content)
            assert response["Content-Type"] == "application/problem+json"
            assert response.json()["code"] == "not-found"
        assert Interaction.objects.count() == before  # nothing was retrieved, so nothing was asked


def test_ask_cites_only_records_the_asker_could_open(world: World) -> None:
    t = two_units(world)
    engineer = client_for(t.engineer_user)
    answer = engineer.post("/api/v1/assistant/ask/", {"question": f"status of {world.app.name}"}, format="json").json()
    cited = [c for c in answer["citations"] if c["type"] in ("intent", "ledger_event")]
    assert {c["id"] for c in cited if c["type"] == "intent"} == {str(t.engineering.intent.pk)}
    for c in cited:  # every cited intent and ledger event opens for the asker
        path = f"/api/v1/intents/{c['id']}/" if c["type"] == "intent" else f"/api/v1/ledger/{c['id']}/"
        assert engineer.get(path).status_code == 200, c
    assert t.finance.intent.name not in answer["text"]


def test_a_cab_submission_carries_the_draft_it_came_from(world: World) -> None:
    sealed = sealed_intent(world, high_risk=True)
    packager = client_for(world.users[Role.PACKAGING_ENGINEER])
    draft = packager.post("/api/v1/assistant/draft-cab-note/", {"intent_id": str(sealed.intent.pk)}, format="json")
    assert draft.status_code == 200, draft.content
    body = {name: f"{text} (edited)" for name, text in draft.json()["draft"].items()}
    body["intent"] = str(sealed.intent.pk)
    made = packager.post(
        "/api/v1/cab-submissions/", {**body, "drafted_with": draft.json()["interaction"]}, format="json"
    )
    assert made.status_code == 201, made.content
    assert made.json()["drafted_with"] == draft.json()["interaction"]
    event = LedgerEvent.objects.filter(action="cab_submission.created", subject_id=made.json()["id"]).get()
    assert (event.after or {})["drafted_with"] == draft.json()["interaction"]
    auditor = client_for(world.users[Role.AUDITOR])
    theirs = auditor.post("/api/v1/assistant/draft-cab-note/", {"intent_id": str(sealed.intent.pk)}, format="json")
    refused = packager.post(
        "/api/v1/cab-submissions/", {**body, "drafted_with": theirs.json()["interaction"]}, format="json"
    )
    assert refused.status_code == 400
    assert refused["Content-Type"] == "application/problem+json"
    assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [("drafted_with", "same-user")]
    malformed = packager.post("/api/v1/cab-submissions/", {**body, "drafted_with": "nope"}, format="json")
    assert malformed.status_code == 400
    assert [e["field"] for e in malformed.json()["errors"]] == ["drafted_with"]
    plain = packager.post("/api/v1/cab-submissions/", {**body, "drafted_with": None}, format="json")
    assert (plain.status_code, plain.json()["drafted_with"]) == (201, None)
