"""Client commands for reconciliation (over the API).

`fleetgate reconcile run [INTENT] [--dry-run] [--wait]`: a pass over one intent (by name or id) or
over everything; a dry run prints the drift and what would be done, touching nothing.
`fleetgate drift list [--kind K --plane P --ring R --status S --intent I]`, `fleetgate drift show ID`.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from fleetgate.cli.client import Client
from fleetgate.cli.common import SERVER_OPT, TOKEN_OPT, console, handles_errors, print_json
from fleetgate.cli.intents import resolve_intent
from fleetgate.cli.rollouts import TIMEOUT_OPT, WAIT_OPT, fail

reconcile_app = typer.Typer(help="Reconciliation passes (over the API).", no_args_is_help=True)
drift_app = typer.Typer(help="Drift found by reconciliation (over the API).", no_args_is_help=True)
JOB_DONE = {"succeeded", "failed"}
KIND_STYLE = {"missing": "yellow", "extra": "magenta", "modified": "red", "stale": "cyan", "stuck": "red"}


def _drift_table(rows: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    for column in ("kind", "severity", "intent", "plane", "ring", "group", "device", "route", "summary"):
        table.add_column(column)
    for row in rows:
        style = KIND_STYLE.get(str(row.get("kind")), "")
        table.add_row(
            f"[{style}]{row.get('kind')}[/{style}]" if style else str(row.get("kind")),
            str(row.get("severity", "")),
            escape(str(row.get("intent_name") or row.get("intent") or "")),
            str(row.get("plane", "")),
            str(row.get("ring", "")),
            escape(str(row.get("group", ""))),
            escape(str(row.get("device_name") or row.get("device") or "-")),
            str(row.get("route", "")),
            escape(str(row.get("summary", ""))),
        )
    return table


@reconcile_app.command("run")
@handles_errors
def run(
    intent: str = typer.Argument(None, help="Intent name or id (default: every tracked intent)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the drift and what would be done; change nothing"),
    wait: bool = WAIT_OPT,
    timeout: float = TIMEOUT_OPT,
    as_json: bool = typer.Option(False, "--json"),
    server: str = SERVER_OPT,
    token: str = TOKEN_OPT,
) -> None:
    """Run a reconciliation pass (a job), or plan one with --dry-run."""
    client = Client(server, token)
    body: dict[str, Any] = {"dry_run": dry_run}
    if intent:
        body["intent"] = resolve_intent(client, intent)["id"]
    answer = client.post("/api/v1/reconcile/runs/", json=body)
    if as_json:
        print_json(answer)
        return
    if dry_run:
        _print_plan(answer)
        return
    console.print(f"Accepted: reconciliation pass {answer['id']} {answer['status']}.", highlight=False)
    if wait:
        from fleetgate.cli.rollouts import wait_for_job

        done = wait_for_job(client, int(answer["id"]), timeout)
        for line in done.get("log") or []:
            console.print(f"  {escape(str(line.get('message', '')))}", highlight=False)
        if done["status"] != "succeeded":
            fail(f"Pass {done['id']} {done['status']}: {done.get('error') or 'see its log'}", "retry the pass.")
    else:
        console.print(f"Follow it with `fleetgate drift list` once job {answer['id']} is done.", highlight=False)


def _print_plan(report: dict[str, Any]) -> None:
    found = ", ".join(f"{k} {v}" for k, v in sorted(report["found"].items())) or "no drift"
    console.print(
        f"Dry run over {report['intents']} intents ({report['targets']} plane targets): {found}.", highlight=False
    )
    if report["drift"]:
        console.print(_drift_table(report["drift"], "Drift (nothing was changed)"))
    for planned in report["actions"]:
        console.print(f"  would {planned['action']}: {escape(planned['detail'])}", highlight=False)
    for problem in report["problems"]:
        console.print(f"  [yellow]unread:[/yellow] {escape(problem)}", highlight=False)


@drift_app.command("list")
@handles_errors
def list_drift(
    kind: str = typer.Option(None, "--kind"),
    plane: str = typer.Option(None, "--plane"),
    ring: str = typer.Option(None, "--ring"),
    status: str = typer.Option(None, "--status", help="open | remediating | escalated | accepted | resolved"),
    intent: str = typer.Option(None, "--intent"),
    as_json: bool = typer.Option(False, "--json"),
    server: str = SERVER_OPT,
    token: str = TOKEN_OPT,
) -> None:
    """Drift records, newest first."""
    client = Client(server, token)
    params = {k: v for k, v in {"kind": kind, "plane": plane, "ring": ring, "status": status}.items() if v}
    if intent:
        params["intent"] = resolve_intent(client, intent)["id"]
    page = client.get("/api/v1/drift/", **params)
    if as_json:
        print_json(page)
        return
    rows = list(page["results"])
    if not rows:
        console.print("No drift.")
        return
    console.print(_drift_table(rows, f"Drift ({len(rows)} shown)"))


@drift_app.command("show")
@handles_errors
def show(drift_id: str, server: str = SERVER_OPT, token: str = TOKEN_OPT) -> None:
    """One drift record: what was expected, what the plane shows, and its decisions."""
    print_json(Client(server, token).get(f"/api/v1/drift/{drift_id}/"))
