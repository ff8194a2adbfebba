"""Risk commands: assess and explain over the API; replay recomputes stored assessments on the host."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml

from fleetgate.cli.client import Client
from fleetgate.cli.common import SERVER_OPT, TOKEN_OPT, console, err, handles_errors, setup_django
from fleetgate.cli.intents import resolve_intent

risk_app = typer.Typer(help="Risk assessments: derived and declared factors, explain, replay.", no_args_is_help=True)


@risk_app.command("assess")
@handles_errors
def assess(
    intent: str = typer.Argument(..., help="intent name or id"),
    declared: Path = typer.Option(..., "--declared", "-f", exists=True, help="YAML {factor: {option, justification}}"),
    artifact: str | None = typer.Option(None, "--artifact", help="artifact id (when the version has several)"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Score an intent; derived factors come from its evidence, declared ones from the file."""
    client = Client(server, token)
    row = resolve_intent(client, intent)
    body = {"intent": row["id"], "declared": yaml.safe_load(declared.read_text()) or {}, "artifact": artifact}
    result = client.post("/api/v1/risk-assessments/", body)
    console.print("\n".join(result["explanation"]), highlight=False)


@risk_app.command("explain")
@handles_errors
def explain(
    intent: str = typer.Argument(..., help="intent name or id"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Print the breakdown of the intent's latest assessment (and its parallel-rubric twin)."""
    client = Client(server, token)
    row = resolve_intent(client, intent)
    found = client.get("/api/v1/risk-assessments/", intent=row["id"], page_size=10)["results"]
    if not found:
        err.print(f"{row['name']} has no risk assessment yet; run `fleetgate risk assess`.")
        raise typer.Exit(1)
    primary = next((a for a in found if a["role"] == "primary"), found[0])
    console.print("\n".join(primary["explanation"]), highlight=False)
    for twin in (a for a in found if a["primary"] == primary["id"]):
        console.print(f"Parallel rubric {twin['rubric_version']}: {twin['score']} (raw {twin['raw']})", highlight=False)


@risk_app.command("replay")
@handles_errors
def replay(
    assessment: str | None = typer.Argument(None, help="assessment id (default: every stored assessment)"),
) -> None:
    """Recompute stored assessments from their inputs and rubric version. Exit 2 on any difference."""
    setup_django()
    from fleetgate.core.errors import ReplayMismatch
    from fleetgate.risk import explain as explainer
    from fleetgate.risk import queries

    rows = queries.assessments().order_by("created_at")
    if assessment:
        rows = rows.filter(pk=assessment)
    checked, failures = 0, 0
    for row in rows.iterator():
        checked += 1
        try:
            explainer.replay(row)
        except ReplayMismatch as exc:
            failures += 1
            err.print(f"[red]MISMATCH[/red] {exc.detail}", highlight=False)
    if failures:
        err.print(f"[red]{failures} of {checked} assessment(s) do not replay.[/red]")
        raise typer.Exit(2)
    console.print(f"[green]{checked} assessment(s) replay identically.[/green]")
