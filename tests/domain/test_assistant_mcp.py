"""`fleetgate mcp` through the official SDK's client: the same read-only tools, the token's user's scope,
every call kept as an interaction with a ledger event, no state change; over HTTP, no token no session."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.memory import create_connected_server_and_client_session

from fleetgate.assistant import mcp as fg_mcp
from fleetgate.assistant.models import Interaction
from fleetgate.audit.models import LedgerEvent
from fleetgate.core.roles import Role
from fleetgate.identity.queries import from_user
from tests.factories import World, make_token, make_user, sealed_intent

pytestmark = pytest.mark.django_db(transaction=True)  # tools run the ORM on worker threads
TOOLS = {"explain_risk", "summarise_evidence", "draft_cab_note", "explain_ring", "ask"}


def _text(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def test_stdio_session_lists_the_read_only_tools_and_answers_as_the_tokens_user(world: World) -> None:
    sealed = sealed_intent(world)
    auditor = world.actors[Role.AUDITOR]
    server = fg_mcp.build_server(stdio_actor=auditor)
    before = {m: m.objects.count() for m in (Interaction,)}

    async def session() -> tuple[set[str], Any, Any]:
        async with create_connected_server_and_client_session(server._mcp_server) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            answer = await client.call_tool("explain_risk", {"intent_id": str(sealed.intent.pk)})
            missing = await client.call_tool("explain_risk", {"intent_id": "00000000-0000-0000-0000-000000000000"})
            return tools, answer, missing

    tools, answer, missing = anyio.run(session)
    assert tools == TOOLS
    assert not answer.isError
    assert f"scores {sealed.assessment.score}/100" in _text(answer)
    assert str(sealed.assessment.pk) in _text(answer)  # the citations travel with the answer
    assert missing.isError
    assert "not-found" in _text(missing)
    row = Interaction.objects.get(channel="mcp")  # the failed lookup never reached a provider
    assert row.user_id == auditor.user_pk
    assert Interaction.objects.count() == before[Interaction] + 1
    assert LedgerEvent.objects.filter(action="assistant.answered", subject_id=str(row.pk), actor_id=auditor.id).exists()


def test_scoped_like_the_user(world: World) -> None:
    sealed = sealed_intent(world)
    outsider = from_user(make_user(Role.PUBLISHER, "globex"))
    server = fg_mcp.build_server(stdio_actor=outsider)

    async def session() -> Any:
        async with create_connected_server_and_client_session(server._mcp_server) as client:
            return await client.call_tool("summarise_evidence", {"intent_id": str(sealed.intent.pk)})

    result = anyio.run(session)
    assert result.isError
    assert "not-found" in _text(result)


def test_scoped_by_the_scoping_module_like_the_tokens_user(world: World) -> None:
    """A Publisher of one business unit: the pack of an intent in it answers (though the application spans
    another unit), the other unit's pack and intent are not found."""
    from tests.domain.test_assistant_scope import two_units

    t = two_units(world)
    server = fg_mcp.build_server(stdio_actor=t.engineer)

    async def session() -> list[Any]:
        async with create_connected_server_and_client_session(server._mcp_server) as client:
            return [
                await client.call_tool("summarise_evidence", {"pack_id": str(t.engineering.pack.pk)}),
                await client.call_tool("summarise_evidence", {"pack_id": str(t.finance.pack.pk)}),
                await client.call_tool("draft_cab_note", {"intent_id": str(t.finance.intent.pk)}),
            ]

    mine, pack, note = anyio.run(session)
    assert not mine.isError, _text(mine)
    assert str(t.engineering.pack.pk) in _text(mine)
    for result in (pack, note):
        assert result.isError
        assert "not-found" in _text(result)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def http_server() -> Iterator[str]:
    port = _free_port()
    app = fg_mcp.http_app(fg_mcp.build_server(port=port))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/mcp"
    server.should_exit = True
    thread.join(timeout=10)


def test_http_needs_a_token_and_answers_as_its_user(world: World, http_server: str) -> None:
    sealed = sealed_intent(world)
    assert httpx.post(http_server, json={}).status_code == 401
    bad = httpx.post(http_server, json={}, headers={"Authorization": "Bearer fg_nope_nope"})
    assert bad.status_code == 401
    assert bad.headers["content-type"] == "application/problem+json"
    user = world.users[Role.CAB_APPROVER]
    headers = {"Authorization": f"Bearer {make_token(user)}"}

    async def session() -> tuple[set[str], Any]:
        async with (
            httpx.AsyncClient(headers=headers, timeout=30) as http,
            streamable_http_client(http_server, http_client=http) as (read, write, _),
            ClientSession(read, write) as client,
        ):
            await client.initialize()
            tools = {t.name for t in (await client.list_tools()).tools}
            return tools, await client.call_tool("ask", {"question": "Which artifacts contain lib1 1.1.0?"})

    tools, answer = anyio.run(session)
    assert tools == TOOLS
    assert not answer.isError
    assert sealed.artifact.filename in _text(answer)
    row = Interaction.objects.get(channel="mcp")
    assert row.user_id == user.pk
    assert row.citations == [
        {
            "type": "artifact",
            "id": str(sealed.artifact.pk),
            "title": row.citations[0]["title"],
            "link": row.citations[0]["link"],
        }
    ]
