"""`fleetgate mcp`: the assistant's read-only tools over the Model Context Protocol (official `mcp` SDK),
on stdio or streamable HTTP. Every call is authenticated with a Fleetgate API token and answered as that
token's user (scoped like them: they see what they may see), and kept as an interaction with a ledger event.
Nothing here can change state: the tools are the assistant's features, which read through queries only.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from django.db import close_old_connections
from mcp.server.fastmcp import Context, FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from rest_framework.exceptions import AuthenticationFailed

from fleetgate.api.auth import TokenAuthentication
from fleetgate.assistant import engine
from fleetgate.core.actors import Actor
from fleetgate.core.errors import DomainError

INSTRUCTIONS = (
    "Fleetgate's read-only assistant: explains risk assessments, summarises evidence packs, drafts CAB notes "
    "(as text for a person to submit), explains halted rings and answers questions over the ledger and catalog. "
    "Every answer lists the records it cites. These tools cannot approve, deploy or change anything."
)
ASGIApp = Callable[[dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


def actor_for_token(raw: str) -> Actor:
    """The user behind a Fleetgate token, as the API resolves it (expiry, revocation, deactivation)."""
    try:
        _token, actor = TokenAuthentication().resolve(raw.strip())
    except AuthenticationFailed as exc:
        raise PermissionError(str(exc.detail)) from None
    finally:
        close_old_connections()
    return actor


def _bearer(headers: Any) -> str:
    value = str(headers.get("authorization", "") or "")
    scheme, _, raw = value.partition(" ")
    return raw.strip() if scheme.lower() == "bearer" else ""


def _sync_call(feature: str, actor_or_token: Actor | str, args: dict[str, Any]) -> dict[str, Any]:
    try:
        actor = actor_or_token if isinstance(actor_or_token, Actor) else actor_for_token(actor_or_token)
        answer = engine.run(feature, actor=actor, channel="mcp", **{k: v for k, v in args.items() if v})
    except PermissionError as exc:
        raise ToolError(f"unauthenticated: {exc}") from None
    except DomainError as exc:
        raise ToolError(f"{exc.code}: {exc.detail}") from None
    finally:
        close_old_connections()
    return {
        "text": answer.text,
        "citations": answer.citations,
        "draft": answer.draft,
        "interaction": str(answer.interaction.pk),
        "provider": answer.interaction.provider,
    }


def build_server(*, stdio_actor: Actor | None = None, host: str = "127.0.0.1", port: int = 8765) -> FastMCP:
    """stdio_actor: who a stdio session acts as (resolved from its token at start); HTTP calls carry their own."""
    server = FastMCP("fleetgate", instructions=INSTRUCTIONS, host=host, port=port, stateless_http=True)

    async def call(ctx: Context[Any, Any, Any], feature: str, **args: Any) -> dict[str, Any]:
        request = getattr(ctx.request_context, "request", None)
        who: Actor | str | None = _bearer(request.headers) if request is not None else stdio_actor
        if not who:
            raise ToolError("unauthenticated: send a Fleetgate token as 'Authorization: Bearer fg_...'")
        return await anyio.to_thread.run_sync(lambda: _sync_call(feature, who, args))

    @server.tool(description="Explain a risk assessment (by assessment id, or the latest for an intent id).")
    async def explain_risk(ctx: Context[Any, Any, Any], assessment_id: str = "", intent_id: str = "") -> dict[str, Any]:
        return await call(ctx, "explain_risk", assessment_id=assessment_id, intent_id=intent_id)

    @server.tool(description="Summarise a sealed evidence pack: verified, declared, missing, notable findings.")
    async def summarise_evidence(ctx: Context[Any, Any, Any], pack_id: str = "", intent_id: str = "") -> dict[str, Any]:
        return await call(ctx, "summarise_evidence", pack_id=pack_id, intent_id=intent_id)

    @server.tool(description="Draft a CAB note for an intent (text for a person to edit and submit; submits nothing).")
    async def draft_cab_note(ctx: Context[Any, Any, Any], intent_id: str) -> dict[str, Any]:
        return await call(ctx, "draft_cab_note", intent_id=intent_id)

    @server.tool(description="Explain why a ring halted or is inconclusive: gates, error codes by plane, changes.")
    async def explain_ring(ctx: Context[Any, Any, Any], intent_id: str, ring: str = "") -> dict[str, Any]:
        return await call(ctx, "explain_ring", intent_id=intent_id, ring=ring)

    @server.tool(description="Ask about the ledger and catalog, e.g. 'which artifacts contain zlib 1.3.1'.")
    async def ask(ctx: Context[Any, Any, Any], question: str) -> dict[str, Any]:
        return await call(ctx, "ask", question=question)

    return server


def require_token(app: ASGIApp) -> ASGIApp:
    """HTTP: refuse any request without a valid Fleetgate token before it reaches the MCP session layer."""

    async def guarded(
        scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
    ) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        raw = _bearer(headers)
        detail = "Send a Fleetgate token as 'Authorization: Bearer fg_<id>_<secret>'."
        if raw:
            try:
                await anyio.to_thread.run_sync(lambda: actor_for_token(raw))
            except PermissionError as exc:
                detail = str(exc)
            else:
                await app(scope, receive, send)
                return
        problem = {
            "type": "about:blank",
            "code": "not-authenticated",
            "title": "Authentication required",
            "status": 401,
            "detail": detail,
        }
        body = json.dumps(problem).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"www-authenticate", b'Bearer realm="fleetgate"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return guarded


def http_app(server: FastMCP) -> ASGIApp:
    app: Any = server.streamable_http_app()
    return require_token(app)
