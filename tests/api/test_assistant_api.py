"""The assistant's HTTP API: features with citations, streaming, interactions visible to Auditors,
provider configuration for Platform Admins only (keys never returned), problems for every refusal."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fleetgate.assistant import services
from fleetgate.assistant.models import Interaction
from fleetgate.audit.models import LedgerEvent
from fleetgate.core.roles import Role
from tests.api.base import ALL_ROLES, Endpoint, ResourceAccessTests, client_for
from tests.factories import World, sealed_intent

ADMIN = frozenset({Role.PLATFORM_ADMIN})
PROVIDER = {
    "name": "corp-llm",
    "kind": "openai",
    "base_url": "http://127.0.0.1:9/v1",
    "model": "m",
    "api_key": "sk-topsecret-1",
}


def _provider(w: World) -> str:
    services.create_provider(actor=w.actors[Role.PLATFORM_ADMIN], data={**PROVIDER, "name": "existing"})
    return "/api/v1/assistant/providers/existing/"


class TestAssistantAccess(ResourceAccessTests):
    endpoints = [
        Endpoint(
            "POST",
            lambda w: "/api/v1/assistant/ask/",
            ALL_ROLES,
            body=lambda w: {"question": "which artifacts contain zlib 1.3.1"},
            ledger_action="assistant.answered",
            label="ask",
        ),
        Endpoint("GET", lambda w: "/api/v1/assistant/interactions/", ALL_ROLES, label="list-interactions"),
        Endpoint(
            "GET",
            lambda w: "/api/v1/assistant/providers/",
            frozenset({Role.PLATFORM_ADMIN, Role.AUDITOR}),
            label="list-providers",
        ),
        Endpoint(
            "POST",
            lambda w: "/api/v1/assistant/providers/",
            ADMIN,
            201,
            body=lambda w: PROVIDER,
            ledger_action="assistant.provider.created",
            label="create-provider",
        ),
        Endpoint(
            "PATCH",
            _provider,
            ADMIN,
            body=lambda w: {"daily_token_budget": 5000},
            ledger_action="assistant.provider.updated",
            label="update-provider",
        ),
        Endpoint("DELETE", _provider, ADMIN, 204, ledger_action="assistant.provider.deleted", label="delete-provider"),
    ]


@pytest.mark.django_db
def test_keys_are_never_returned(world: World) -> None:
    admin = client_for(world.users[Role.PLATFORM_ADMIN])
    created = admin.post("/api/v1/assistant/providers/", PROVIDER, format="json")
    assert created.status_code == 201
    assert created.json()["has_key"] is True
    for response in (
        created,
        admin.get("/api/v1/assistant/providers/"),
        admin.get("/api/v1/assistant/providers/corp-llm/"),
    ):
        assert "sk-topsecret-1" not in response.content.decode()
        assert "secret" not in response.json().__repr__().replace("has_key", "")
    events = LedgerEvent.objects.filter(action__startswith="assistant.provider.")
    assert events.count() == 1
    assert "sk-topsecret-1" not in json.dumps([e.after for e in events])


@pytest.mark.django_db
def test_a_feature_answers_with_citations_and_auditors_see_every_interaction(world: World) -> None:
    sealed = sealed_intent(world)
    publisher = client_for(world.users[Role.PUBLISHER])
    response = publisher.post("/api/v1/assistant/explain-risk/", {"intent_id": str(sealed.intent.pk)}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["provider"] == "offline"
    assert body["tokens_out"] > 0
    assert {"type": "risk_assessment", "id": str(sealed.assessment.pk)}.items() <= body["citations"][0].items()
    assert body["citations"][0]["link"] == f"/intents/{sealed.intent.pk}#risk"
    mine = publisher.get("/api/v1/assistant/interactions/").json()
    auditor = client_for(world.users[Role.AUDITOR]).get("/api/v1/assistant/interactions/").json()
    other = client_for(world.users[Role.ENDPOINT_OPS]).get("/api/v1/assistant/interactions/").json()
    ids = lambda page: {r["id"] for r in (page["results"] if isinstance(page, dict) else page)}  # noqa: E731
    assert body["interaction"] in ids(mine)
    assert body["interaction"] in ids(auditor)
    assert body["interaction"] not in ids(other)
    detail = client_for(world.users[Role.AUDITOR]).get(f"/api/v1/assistant/interactions/{body['interaction']}/").json()
    assert detail["prompt"][0]["role"] == "system"
    assert detail["retrieved"]
    assert detail["output"] == body["text"]


@pytest.mark.django_db
def test_missing_subject_and_bad_bodies_are_problems(world: World) -> None:
    client = client_for(world.users[Role.AUDITOR])
    missing = client.post("/api/v1/assistant/explain-risk/", {}, format="json")
    assert missing.status_code == 400
    assert missing["Content-Type"] == "application/problem+json"
    unknown = client.post("/api/v1/assistant/ask/", {"question": "x", "approve": True}, format="json")
    assert unknown.status_code == 400
    nothing = client.post(
        "/api/v1/assistant/draft-cab-note/", {"intent_id": "00000000-0000-0000-0000-000000000000"}, format="json"
    )
    assert nothing.status_code == 404
    assert nothing.json()["code"] == "not-found"
    assert not Interaction.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_streaming_sends_deltas_then_the_answer(world: World) -> None:
    client = client_for(world.users[Role.AUDITOR])
    response = client.post(
        "/api/v1/assistant/ask/", {"question": "which artifacts contain zlib 1.3.1", "stream": True}, format="json"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    raw = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    events = [
        (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1].removeprefix("data: ")))
        for block in raw.strip().split("\n\n")
    ]
    kinds = [k for k, _ in events]
    assert kinds[-1] == "answer"
    assert set(kinds[:-1]) == {"delta"}
    answer: dict[str, Any] = events[-1][1]
    assert "".join(d["text"] for k, d in events if k == "delta") == answer["text"]
    assert Interaction.objects.filter(pk=answer["interaction"]).exists()


@pytest.mark.django_db
def test_a_browser_accepting_only_event_streams_and_problems_is_answered(world: World) -> None:
    """The web panel sends `Accept: text/event-stream, application/problem+json` (it was a 406)."""
    client = client_for(world.users[Role.AUDITOR])
    accept = "text/event-stream, application/problem+json"
    body = {"question": "which artifacts contain zlib 1.3.1", "stream": True}
    response = client.post("/api/v1/assistant/ask/", body, format="json", HTTP_ACCEPT=accept)
    assert (response.status_code, response["Content-Type"]) == (200, "text/event-stream")
    assert b"event: answer" in b"".join(response.streaming_content)  # type: ignore[attr-defined]
    missing = {"intent_id": "00000000-0000-0000-0000-000000000000"}
    refused = client.post("/api/v1/assistant/draft-cab-note/", missing, format="json", HTTP_ACCEPT=accept)
    assert (refused.status_code, refused["Content-Type"]) == (404, "application/problem+json")
    assert refused.json()["code"] == "not-found"
