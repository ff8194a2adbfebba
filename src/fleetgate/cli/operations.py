"""Client commands for what steers rollouts (over the API): incidents, maintenance windows and
blackouts, and the global change freeze."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from fleetgate.cli.client import Client
from fleetgate.cli.common import SERVER_OPT, TOKEN_OPT, console, handles_errors, print_json
from fleetgate.cli.intents import resolve_intent
from fleetgate.cli.rollouts import fail

incident_app = typer.Typer(help="Incidents against an intent or artifact (over the API).", no_args_is_help=True)
window_app = typer.Typer(help="Maintenance windows and blackouts (over the API).", no_args_is_help=True)
freeze_app = typer.Typer(help="The global change freeze (Platform Admin, over the API).", no_args_is_help=True)


@incident_app.command("create")
@handles_errors
def incident_create(
    title: str = typer.Option(..., "--title"),
    priority: str = typer.Option(..., "--priority", help="P0 (rollback) .. P4 (record)"),
    intent: str | None = typer.Option(None, "--intent", help="intent name or id"),
    artifact: str | None = typer.Option(None, "--artifact", help="artifact id"),
    security: bool = typer.Option(False, "--security", help="a security incident (blocks zero_security_incidents)"),
    description: str = typer.Option("", "--description"),
    ticket: str = typer.Option("", "--ticket", help="external ticket id, e.g. INC0012345"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    if not intent and not artifact:
        fail("An incident is recorded against an intent or an artifact.", "pass --intent NAME or --artifact ID.")
    client = Client(server, token)
    body: dict[str, Any] = {
        "priority": priority.upper(),
        "security": security,
        "title": title,
        "description": description,
        "external_ticket": ticket,
    }
    if intent:
        body["intent"] = resolve_intent(client, intent)["id"]
    if artifact:
        body["artifact"] = artifact
    row = client.post("/api/v1/incidents/", json=body)
    console.print(f"Opened incident {row['id']} ({row['priority']}{', security' if row['security'] else ''}).")


@incident_app.command("list")
@handles_errors
def incident_list(
    intent: str | None = typer.Option(None, "--intent", help="intent name or id"),
    state: str | None = typer.Option(None, "--state", help="open or resolved"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    client = Client(server, token)
    intent_id = resolve_intent(client, intent)["id"] if intent else None
    rows = client.get("/api/v1/incidents/", intent=intent_id, state=state)["results"]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "priority", "security", "state", "title", "ticket", "opened")
    for row in rows:
        table.add_row(
            row["id"],
            row["priority"],
            "yes" if row["security"] else "",
            row["state"],
            row["title"],
            row["external_ticket"],
            row["opened_at"][:16],
        )
    console.print(table)


@incident_app.command("resolve")
@handles_errors
def incident_resolve(
    incident_id: str,
    resolution: str = typer.Option(..., "--resolution", help="required: what fixed it"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    row = Client(server, token).post(f"/api/v1/incidents/{incident_id}/resolve/", json={"resolution": resolution})
    console.print(f"Resolved incident {row['id']} ({row['priority']}): {escape(row['resolution'])}")


# ---- maintenance windows and freeze -----------------------------------------------------------


@window_app.command("create")
@handles_errors
def window_create(
    name: str = typer.Option(..., "--name"),
    boundary: str = typer.Option(..., "--boundary"),
    starts: str = typer.Option(..., "--starts", help="first occurrence, wall time: 2026-12-05T22:00"),
    duration: int = typer.Option(..., "--duration", min=1, help="minutes"),
    kind: str = typer.Option("window", "--kind", help="window (changes allowed inside) or blackout"),
    business_unit: str = typer.Option("", "--business-unit", help="empty: every business unit"),
    site_class: str = typer.Option("", "--site-class", help="empty: every site class"),
    tz: str = typer.Option("UTC", "--timezone", help="IANA zone of --starts"),
    rrule: str = typer.Option("", "--rrule", help="RFC 5545, e.g. FREQ=WEEKLY;BYDAY=SA"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    body = {
        "name": name,
        "kind": kind,
        "boundary": boundary,
        "business_unit": business_unit,
        "site_class": site_class,
        "timezone": tz,
        "starts_local": starts,
        "duration_minutes": duration,
        "rrule": rrule,
    }
    row = Client(server, token).post("/api/v1/maintenance-windows/", json=body)
    console.print(f"Created {row['kind']} {escape(row['name'])} ({row['id']}) in {row['boundary']}.")


@window_app.command("list")
@handles_errors
def window_list(
    boundary: str | None = typer.Option(None, "--boundary"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    rows = Client(server, token).get("/api/v1/maintenance-windows/", boundary=boundary)["results"]
    if as_json:
        print_json(rows)
        return
    table = Table("name", "kind", "scope", "starts", "minutes", "rrule", "zone", "active")
    for row in rows:
        scope = "/".join(p for p in (row["boundary"], row["business_unit"], row["site_class"]) if p)
        table.add_row(
            row["name"],
            row["kind"],
            scope,
            row["starts_local"],
            str(row["duration_minutes"]),
            row["rrule"] or "once",
            row["timezone"],
            "yes" if row["active"] else "no",
        )
    console.print(table)


def _freeze(active: bool, reason: str, server: str | None, token: str | None) -> None:
    state = Client(server, token).post("/api/v1/change-freeze/", json={"active": active, "reason": reason})
    if state["active"]:
        console.print(f"Change freeze [bold]on[/bold] since {state['started_at']}: {escape(state['reason'])}")
    else:
        console.print("Change freeze [bold]off[/bold].")


@freeze_app.command("on")
@handles_errors
def freeze_on(
    reason: str = typer.Option(..., "--reason"), server: str | None = SERVER_OPT, token: str | None = TOKEN_OPT
) -> None:
    """Block publish, assign and promote everywhere (never pause, halt or rollback)."""
    _freeze(True, reason, server, token)


@freeze_app.command("off")
@handles_errors
def freeze_off(
    reason: str = typer.Option(..., "--reason"), server: str | None = SERVER_OPT, token: str | None = TOKEN_OPT
) -> None:
    _freeze(False, reason, server, token)
