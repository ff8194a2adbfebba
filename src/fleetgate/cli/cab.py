"""Client commands for CAB: list the queue, show the review, decide. They talk to the API."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table

from fleetgate.cli.client import Client
from fleetgate.cli.common import SERVER_OPT, TOKEN_OPT, console, handles_errors, print_json

cab_app = typer.Typer(help="CAB requests and decisions (over the API).", no_args_is_help=True)


def resolve_request(client: Client, ref: str) -> dict[str, Any]:
    """Accept a request id or an intent name (its latest request)."""
    found = client.get("/api/v1/intents/", name=ref)["results"]
    if found:
        rows = client.get("/api/v1/cab-requests/", intent=found[0]["id"])["results"]
        if rows:
            return dict(rows[0])
    return dict(client.get(f"/api/v1/cab-requests/{ref}/"))


@cab_app.command("list")
@handles_errors
def list_requests(
    queue: str | None = typer.Option(None, help="pending (waiting for my decision) or mine (my changes)"),
    state: str | None = typer.Option(None, help="open, approved, rejected, voided"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    rows = Client(server, token).get("/api/v1/cab-requests/", queue=queue, state=state)["results"]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "intent", "application", "version", "state", "risk", "class", "decided")
    for row in rows:
        approvals = sum(1 for d in row["decisions"] if d["kind"] != "reject" and not d["revoked"])
        table.add_row(
            row["id"],
            row["intent_name"],
            row["application_name"],
            row["version"],
            row["state"],
            str(row["score"]),
            row["blast_radius_class"],
            f"{approvals}/{row['quorum']}",
        )
    console.print(table)


@cab_app.command("show")
@handles_errors
def show(ref: str, server: str | None = SERVER_OPT, token: str | None = TOKEN_OPT) -> None:
    """The review view: evidence summary, risk, scope and blast radius, diff, decisions so far."""
    client = Client(server, token)
    request = resolve_request(client, ref)
    print_json(client.get(f"/api/v1/cab-requests/{request['id']}/review/"))


def _decide(ref: str, kind: str, body: dict[str, Any], server: str | None, token: str | None) -> None:
    client = Client(server, token)
    request = resolve_request(client, ref)
    done = client.post(f"/api/v1/cab-requests/{request['id']}/{kind}/", json=body)
    name, state, intent_state = done["intent_name"], done["state"], done["intent_state"]
    console.print(f"Recorded {kind} on [bold]{name}[/bold]: request {state}, intent {intent_state}.")


@cab_app.command("approve")
@handles_errors
def approve(
    ref: str,
    reason: str = typer.Option("", "--reason"),
    days: int | None = typer.Option(None, "--days", help="approval lifetime in days (default 30, at most 90)"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    _decide(ref, "approve", {"reason": reason, "expires_in_days": days}, server, token)


@cab_app.command("reject")
@handles_errors
def reject(
    ref: str,
    reason: str = typer.Option(..., "--reason", help="required: what must change"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    _decide(ref, "reject", {"reason": reason}, server, token)


@cab_app.command("conditional")
@handles_errors
def conditional(
    ref: str,
    max_ring: str | None = typer.Option(None, "--max-ring"),
    min_success: float | None = typer.Option(None, "--min-success", help="e.g. 0.995"),
    min_soak_hours: int | None = typer.Option(None, "--min-soak-hours"),
    monitoring_hours: int | None = typer.Option(None, "--monitoring-hours"),
    reason: str = typer.Option("", "--reason"),
    days: int | None = typer.Option(None, "--days"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    conditions = {
        "max_ring": max_ring,
        "min_success_threshold": min_success,
        "min_soak_hours": min_soak_hours,
        "monitoring_window_hours": monitoring_hours,
    }
    body = {
        "reason": reason,
        "expires_in_days": days,
        "conditions": {k: v for k, v in conditions.items() if v is not None},
    }
    _decide(ref, "conditional", json.loads(json.dumps(body)), server, token)
