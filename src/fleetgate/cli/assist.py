"""`fleetgate assist ...`: the read-only assistant over the API (answers with their citations), and
`fleetgate mcp`: the same tools over the Model Context Protocol (stdio or HTTP)."""

from __future__ import annotations

from typing import Any

import typer

from fleetgate.cli.client import Client
from fleetgate.cli.common import SERVER_OPT, TOKEN_OPT, console, err, handles_errors, setup_django
from fleetgate.cli.intents import resolve_intent

assist_app = typer.Typer(
    help="The assistant: explains, summarises and drafts from cited records.", no_args_is_help=True
)


def _show(answer: dict[str, Any]) -> None:
    console.print(answer["text"].rstrip(), highlight=False, markup=False)
    if answer.get("draft"):
        console.print("\n[bold]Draft (edit it, then submit it yourself with `fleetgate cab submit`):[/bold]")
        for key, value in answer["draft"].items():
            console.print(f"  {key}: {value}", highlight=False, markup=False)
    if answer["citations"]:
        console.print("\n[bold]Sources[/bold]")
        for c in answer["citations"]:
            console.print(f"  [{c['type']}:{c['id']}] {c['title']}  {c['link']}", highlight=False, markup=False)
    else:
        console.print("\n(no records cited)")
    console.print(f"\n{answer['provider']} {answer['model']}, interaction {answer['interaction']}", style="dim")


@assist_app.command("explain-risk")
@handles_errors
def explain_risk(
    intent: str = typer.Argument(..., help="intent name or id"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Explain the intent's latest risk assessment from its factor contributions."""
    client = Client(server, token)
    _show(client.post("/api/v1/assistant/explain-risk/", {"intent_id": resolve_intent(client, intent)["id"]}))


@assist_app.command("summarise-evidence")
@handles_errors
def summarise_evidence(
    intent: str = typer.Argument(..., help="intent name or id"),
    pack: str | None = typer.Option(None, "--pack", help="evidence pack id (default: the intent's latest)"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Summarise the sealed evidence pack: verified, declared, missing, notable findings."""
    client = Client(server, token)
    body = {"pack_id": pack} if pack else {"intent_id": resolve_intent(client, intent)["id"]}
    _show(client.post("/api/v1/assistant/summarise-evidence/", body))


@assist_app.command("draft-cab-note")
@handles_errors
def draft_cab_note(
    intent: str = typer.Argument(..., help="intent name or id"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Draft a CAB note for the intent; nothing is submitted."""
    client = Client(server, token)
    _show(client.post("/api/v1/assistant/draft-cab-note/", {"intent_id": resolve_intent(client, intent)["id"]}))


@assist_app.command("explain-ring")
@handles_errors
def explain_ring(
    intent: str = typer.Argument(..., help="intent name or id"),
    ring: str | None = typer.Option(None, "--ring", help="ring name (default: the ring that stopped)"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Why did this ring stop? Gates, failing devices by error code and plane, what changed."""
    client = Client(server, token)
    body: dict[str, Any] = {"intent_id": resolve_intent(client, intent)["id"]}
    if ring:
        body["ring"] = ring
    _show(client.post("/api/v1/assistant/explain-ring/", body))


@assist_app.command("ask")
@handles_errors
def ask(
    question: str = typer.Argument(..., help='e.g. "which artifacts contain zlib 1.3.1"'),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Ask about the ledger and catalog; the answer cites its records."""
    _show(Client(server, token).post("/api/v1/assistant/ask/", {"question": question}))


@handles_errors
def mcp_command(
    http: bool = typer.Option(False, "--http", help="Serve streamable HTTP instead of stdio"),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8765, "--port"),
    token: str | None = TOKEN_OPT,
) -> None:
    """Serve the assistant's read-only tools over MCP.

    stdio acts as the token's user; HTTP checks each request's own token."""
    setup_django()
    from fleetgate.assistant import mcp

    if http:
        import uvicorn

        uvicorn.run(mcp.http_app(mcp.build_server(host=host, port=port)), host=host, port=port, log_level="warning")
        return
    if not token:
        err.print("stdio needs a Fleetgate token: --token or FLEETGATE_TOKEN.")
        raise typer.Exit(2)
    try:
        actor = mcp.actor_for_token(token)
    except PermissionError as exc:
        err.print(f"Token refused: {exc}")
        raise typer.Exit(2) from None
    mcp.build_server(stdio_actor=actor).run("stdio")
