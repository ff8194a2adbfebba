"""Client commands for intents; they talk to a Fleetgate server over the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from fleetgate.cli.client import Client
from fleetgate.cli.common import SERVER_OPT, TOKEN_OPT, console, handles_errors, print_json

intent_app = typer.Typer(help="Deployment intents (over the API).", no_args_is_help=True)


def resolve_intent(client: Client, ref: str) -> dict[str, Any]:
    """Accept an id or a name."""
    found = client.get("/api/v1/intents/", name=ref)["results"]
    if found:
        return dict(found[0])
    return dict(client.get(f"/api/v1/intents/{ref}/"))


@intent_app.command("list")
@handles_errors
def list_intents(
    state: str | None = typer.Option(None, help="draft, submitted, ..."),
    application: str | None = typer.Option(None, help="application id"),
    limit: int = typer.Option(50, min=1, max=500),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    client = Client(server, token)
    rows = client.get("/api/v1/intents/", state=state, application=application, page_size=limit)["results"]
    if as_json:
        print_json(rows)
        return
    table = Table("name", "application", "version", "state", "rings", "target", "publisher")
    for row in rows:
        table.add_row(
            row["name"],
            row["application_name"],
            row["version"],
            row["state"],
            " → ".join(s["ring"] for s in row["ring_plan"]),
            f"{row['target_boundary']}/{row['target_business_unit']}",
            row["publisher"],
        )
    console.print(table)


@intent_app.command("show")
@handles_errors
def show(ref: str, server: str | None = SERVER_OPT, token: str | None = TOKEN_OPT) -> None:
    print_json(resolve_intent(Client(server, token), ref))


@intent_app.command("submit")
@handles_errors
def submit(ref: str, server: str | None = SERVER_OPT, token: str | None = TOKEN_OPT) -> None:
    client = Client(server, token)
    intent = resolve_intent(client, ref)
    done = client.post(f"/api/v1/intents/{intent['id']}/submit/", headers={"If-Match": intent["etag"]})
    console.print(f"Submitted [bold]{done['name']}[/bold]: state {done['state']}.")


@intent_app.command("cancel")
@handles_errors
def cancel(
    ref: str, reason: str = typer.Option("", "--reason"), server: str | None = SERVER_OPT, token: str | None = TOKEN_OPT
) -> None:
    client = Client(server, token)
    intent = resolve_intent(client, ref)
    done = client.post(
        f"/api/v1/intents/{intent['id']}/cancel/", json={"reason": reason}, headers={"If-Match": intent["etag"]}
    )
    console.print(f"Cancelled [bold]{done['name']}[/bold].")


@handles_errors
def apply(
    file: Path = typer.Option(..., "--file", "-f", exists=True, readable=True, help="YAML manifest"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the diff, change nothing"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Create or update intents declaratively; running it twice changes nothing the second time. The server
    checks and applies the manifest (all documents or none), as the console's Apply page does."""
    result = Client(server, token).post(
        "/api/v1/intents/apply/", json={"manifest": file.read_text(), "dry_run": dry_run}
    )
    for doc in result["documents"]:
        name, action = doc["name"], doc["action"]
        if action == "unchanged":
            console.print(f"{name}: unchanged")
            continue
        console.print(doc["diff"], highlight=False, markup=False)
        if dry_run:
            console.print(f"{name}: dry run, would {action}; nothing changed")
        else:
            console.print(f"{name}: {action}d")
