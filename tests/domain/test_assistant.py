"""The assistant over real records with the offline provider: every feature, citations, reproducible
interaction records, scoping, provider configuration, budgets."""

from __future__ import annotations

import pytest

from fleetgate.approvals import services as approvals
from fleetgate.approvals.models import CabRequest
from fleetgate.assistant import engine, services
from fleetgate.assistant.models import Interaction, ProviderConfig
from fleetgate.assistant.providers.base import BudgetExhausted
from fleetgate.audit.models import LedgerEvent
from fleetgate.core.errors import Forbidden, NotFound, ValidationFailed
from fleetgate.core.roles import Role
from tests.factories import World, last_event, make_actor, ring_plan, sealed_intent

pytestmark = pytest.mark.django_db
PLAN = ring_plan("lab", "canary", "pilot", "department")


def _cited(answer: engine.Answer) -> set[tuple[str, str]]:
    return {(c["type"], c["id"]) for c in answer.citations}


def test_explain_risk_renders_every_factor_from_the_stored_contributions(world: World) -> None:
    sealed = sealed_intent(world, high_risk=True, ring_plan=PLAN)
    a = sealed.assessment
    answer = engine.run("explain_risk", actor=world.actors[Role.CAB_APPROVER], assessment_id=a.pk)
    assert f"scores {a.score}/100" in answer.text
    assert "CAB review is required." in answer.text
    for name, factor in a.factors.items():
        assert f"- {name}: " in answer.text
        assert f"weight {factor['weight']}" in answer.text
    top = max(a.factors.items(), key=lambda kv: float(kv[1]["contribution"]))[0]
    assert answer.text.index(f"- {top}:") < min(answer.text.index(f"- {n}:") for n in a.factors if n != top) or all(
        float(a.factors[n]["contribution"]) == float(a.factors[top]["contribution"]) for n in a.factors
    )
    assert ("risk_assessment", str(a.pk)) in _cited(answer)
    assert all(c["link"].startswith("/") for c in answer.citations)


def test_every_answer_is_kept_reproducibly_with_a_ledger_event(world: World) -> None:
    sealed = sealed_intent(world)
    asker = world.actors[Role.PUBLISHER]
    answer = engine.run("summarise_evidence", actor=asker, pack_id=sealed.pack.pk)
    row = Interaction.objects.get(pk=answer.interaction.pk)
    assert row.provider == "offline"
    assert row.model == "templates-v1"
    assert row.output == answer.text
    assert row.tokens_out == len(answer.text.split())
    assert row.tokens_in > 0
    assert [m["role"] for m in row.prompt] == ["system", "user"]
    assert {r["id"] for r in row.retrieved} >= {str(sealed.pack.pk), str(sealed.intent.pk)}
    assert row.user_id == asker.user_pk
    assert row.actor["id"] == asker.id
    event = last_event()
    assert (event.action, event.subject_type, event.subject_id, event.actor_id) == (
        "assistant.answered",
        "assistant_interaction",
        str(row.pk),
        asker.id,
    )
    again = engine.run("summarise_evidence", actor=asker, pack_id=sealed.pack.pk)
    assert again.text == answer.text  # deterministic: same records, same words


def test_evidence_summary_lists_verified_declared_missing_and_findings(world: World) -> None:
    sealed = sealed_intent(world)
    text = engine.run("summarise_evidence", actor=world.actors[Role.AUDITOR], intent_id=sealed.intent.pk).text
    assert f"Evidence pack v{sealed.pack.version}" in text
    assert "Verified by Fleetgate: provenance, signature." in text
    assert "Recorded as supplied (truth rests on the author): " in text
    assert "sbom" in text
    assert "Missing: none." in text
    assert "SBOM: 3 components" in text
    assert "Medium in lib0 1.0.0, fixed in 1.0.1" in text
    assert "Components with findings: lib0 1.0.0." in text


def test_draft_cab_note_is_a_draft_and_changes_no_other_domain(world: World) -> None:
    sealed = sealed_intent(world, high_risk=True, ring_plan=PLAN)
    before = (CabRequest.objects.count(), sealed.intent.state)
    answer = engine.run("draft_cab_note", actor=world.actors[Role.PACKAGING_ENGINEER], intent_id=sealed.intent.pk)
    assert set(answer.draft) == {"summary", "justification", "impact", "test_summary", "backout_plan"}
    assert "lab -> canary -> pilot -> department" in answer.draft["summary"]
    assert f"Risk {sealed.assessment.score}/100" in answer.draft["impact"]
    assert Interaction.objects.get(pk=answer.interaction.pk).draft == answer.draft
    sealed.intent.refresh_from_db()
    assert (CabRequest.objects.count(), sealed.intent.state) == before


def test_who_approved_a_version_names_the_approver_and_time_with_citations(world: World) -> None:
    sealed = sealed_intent(world, high_risk=True, ring_plan=PLAN)
    approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
    request = CabRequest.objects.get(intent=sealed.intent)
    approver = make_actor(Role.CAB_APPROVER)
    decision = approvals.decide(actor=approver, request_id=request.pk, kind="approve", reason="Lab results are clean.")
    version = sealed.intent.version.version
    question = f"Who approved version {version} of {world.app.name} and when?"
    answer = engine.run("ask", actor=world.actors[Role.AUDITOR], question=question)
    assert f"- {approver.name} approve at " in answer.text
    assert "Lab results are clean." in answer.text
    assert ("cab_request", str(request.pk)) in _cited(answer)
    assert any(c["type"] == "ledger_event" for c in answer.citations)
    assert str(decision.pk) in str(Interaction.objects.get(pk=answer.interaction.pk).retrieved)


def test_which_artifacts_contain_a_component(world: World) -> None:
    sealed = sealed_intent(world)
    answer = engine.run("ask", actor=world.actors[Role.AUDITOR], question="Which artifacts contain lib1 1.1.0?")
    assert "1 artifact(s) list lib1 1.1.0" in answer.text
    assert sealed.artifact.filename in answer.text
    assert _cited(answer) == {("artifact", str(sealed.artifact.pk))}
    none = engine.run("ask", actor=world.actors[Role.AUDITOR], question="which artifacts contain zlib 1.3.1")
    assert "No artifact you can see lists zlib 1.3.1" in none.text
    assert none.citations == []


def test_answers_are_scoped_like_the_asker(world: World) -> None:
    sealed = sealed_intent(world)
    outsider = make_actor(Role.PUBLISHER, boundary="globex")
    with pytest.raises(NotFound):
        engine.run("explain_risk", actor=outsider, intent_id=sealed.intent.pk)
    answer = engine.run("ask", actor=outsider, question="Which artifacts contain lib1 1.1.0?")
    assert answer.citations == []


def test_the_assistant_actor_cannot_even_ask(world: World) -> None:
    from fleetgate.core.actors import ASSISTANT

    with pytest.raises(Forbidden):
        engine.run("ask", actor=ASSISTANT, question="who approved version 1 of x")


# --- provider configuration ----------------------------------------------------------------------


def test_only_a_platform_admin_configures_providers_and_every_change_is_a_ledger_event(world: World) -> None:
    admin = world.actors[Role.PLATFORM_ADMIN]
    data = {
        "name": "corp-llm",
        "kind": "openai",
        "base_url": "http://127.0.0.1:9/v1",
        "model": "gpt-x",
        "api_key": "sk-live-123",
    }
    for role in Role:
        if role is not Role.PLATFORM_ADMIN:
            with pytest.raises(Forbidden):
                services.create_provider(actor=world.actors[role], data=data)
    row = services.create_provider(actor=admin, data=data)
    assert row.secret
    assert "sk-live-123" not in row.secret
    event = last_event()
    assert event.action == "assistant.provider.created"
    assert "sk-live-123" not in str(event.after)
    assert event.after["has_key"] is True
    services.update_provider(actor=admin, name="corp-llm", data={"api_key": "sk-other", "active": True})
    event = last_event()
    assert (event.action, event.reason) == ("assistant.provider.updated", "API key replaced")
    assert "sk-other" not in str(event.after)
    assert "sk-other" not in str(event.before)
    services.delete_provider(actor=admin, name="corp-llm")
    assert last_event().action == "assistant.provider.deleted"


def test_one_active_provider_at_a_time(world: World) -> None:
    admin = world.actors[Role.PLATFORM_ADMIN]
    services.create_provider(actor=admin, data={"name": "a", "kind": "offline", "active": True})
    services.create_provider(actor=admin, data={"name": "b", "kind": "offline", "active": True})
    assert list(ProviderConfig.objects.filter(active=True).values_list("name", flat=True)) == ["b"]


def test_http_provider_needs_url_and_model(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.create_provider(actor=world.actors[Role.PLATFORM_ADMIN], data={"name": "x", "kind": "anthropic"})
    assert {e.field for e in caught.value.errors} == {"base_url", "model"}


def test_daily_token_budget_refuses_before_anything_leaves(world: World) -> None:
    sealed = sealed_intent(world)
    admin = world.actors[Role.PLATFORM_ADMIN]
    services.create_provider(
        actor=admin,
        data={
            "name": "tiny",
            "kind": "openai",
            "base_url": "http://127.0.0.1:9/v1",
            "model": "m",
            "daily_token_budget": 10,
            "active": True,
        },
    )
    before = LedgerEvent.objects.count()
    with pytest.raises(BudgetExhausted):
        engine.run("explain_risk", actor=world.actors[Role.AUDITOR], intent_id=sealed.intent.pk)
    assert LedgerEvent.objects.count() == before
    assert not Interaction.objects.exists()


def test_outbound_payload_for_a_remote_provider_is_scrubbed(world: World) -> None:
    from fleetgate.assistant.tools import Record, Retrieval

    retrieval = Retrieval(
        "ask",
        "question",
        "",
        [Record("intent", "1", "Intent", "/intents/1", {"owner": "jane.doe@corp.example"})],
        {"note": "host WS-0042 at 10.1.2.3 used token fg_abc123_s3cretvalue99 and AKIAIOSFODNN7EXAMPLE"},
        devices={"WS-0042"},
        question="why",
    )
    messages, scrubber = engine.outbound(retrieval, {"hostnames": True, "people": True, "host_patterns": []})
    sent = "\n".join(m.content for m in messages)
    for secret in ("jane.doe@corp.example", "WS-0042", "10.1.2.3", "fg_abc123_s3cretvalue99", "AKIAIOSFODNN7EXAMPLE"):
        assert secret not in sent
    assert scrubber.report() == {"email": 1, "host": 1, "ip": 1, "secret": 1, "token": 1}
    assert "jane.doe@corp.example" in scrubber.restore(sent)
