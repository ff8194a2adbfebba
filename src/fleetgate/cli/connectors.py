"""Client commands for execution-plane connectors; they talk to a Fleetgate server over the API."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from fleetgate.cli.client import Client
from fleetgate.cli.common import SERVER_OPT, TOKEN_OPT, console, err, handles_errors, print_json

connector_app = typer.Typer(help="Execution-plane connectors (over the API).", no_args_is_help=True)


def resolve(client: Client, ref: str) -> dict[str, Any]:
    """Accept an id or a name."""
    for row in client.get("/api/v1/connectors/"):
        if ref in (row["name"], str(row["id"])):
            return dict(row)
    return dict(client.get(f"/api/v1/connectors/{ref}/"))


@connector_app.command("list")
@handles_errors
def list_connectors(
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    rows = Client(server, token).get("/api/v1/connectors/")
    if as_json:
        print_json(rows)
        return
    table = Table("name", "kind", "base url", "enabled", "dry run", "health", "circuit", "last checked")
    for row in rows:
        table.add_row(
            row["name"],
            row["kind"],
            row["base_url"],
            "yes" if row["enabled"] else "no",
            "yes" if row["dry_run"] else "no",
            row["health"],
            row["circuit"]["state"],
            row["last_checked_at"] or "never",
        )
    console.print(table)


@connector_app.command("check")
@handles_errors
def check(
    ref: str = typer.Argument(..., help="connector name or id"),
    exercise: bool = typer.Option(
        False, "--exercise", help="Also publish, assign, observe, inventory and retire a self-test package"
    ),
    ring_group: str = typer.Option("FG-LAB", "--ring-group", help="Ring group used by --exercise"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Check a connector's health; in dry-run mode, print the requests it would send."""
    client = Client(server, token)
    connector = resolve(client, ref)
    result = client.post(
        f"/api/v1/connectors/{connector['id']}/check/", json={"exercise": exercise, "ring_group": ring_group}
    )
    if as_json:
        print_json(result)
        return
    colour = {"healthy": "green", "degraded": "yellow"}.get(result["health"], "red")
    console.print(
        f"[bold]{connector['name']}[/bold] ({connector['kind']}, {result['api_version']}): "
        f"[{colour}]{result['health']}[/{colour}] — {result['detail']}"
        + (f" ({result['latency_ms']} ms)" if result.get("latency_ms") is not None else ""),
        highlight=False,
    )
    console.print(f"circuit: {result['connector']['circuit']['state']}", highlight=False)
    for step in result["steps"]:
        mark = "[green]ok[/green]" if step["ok"] else "[red]failed[/red]"
        console.print(f"  {step['step']:10} {mark} {step['detail']}", highlight=False)
    if result["dry_run"]:
        console.print(f"[bold]dry run[/bold]: {len(result['requests'])} request(s) recorded")
        for req in result["requests"]:
            console.print(f"  {'sent' if req['sent'] else 'WOULD SEND'} {req['method']} {req['url']}", highlight=False)
            if req["body"]:
                console.print(f"    {req['body'][:400]}", highlight=False)
    if result["health"] == "down":
        err.print("Next: check the base URL, the credentials and the plane's status, then run the check again.")
        raise typer.Exit(1)


def start_demo_simulators(data_dir: Any, seed: int = 7, speed: float = 600.0) -> Any:
    """`fleetgate up --demo`: run `fleetsim serve` beside the server and register one connector per plane."""
    import json
    import subprocess
    import sys
    import time

    path = data_dir / "fleetsim-connections.json"
    path.unlink(missing_ok=True)
    child = subprocess.Popen(  # noqa: S603 (our own argv)
        [
            sys.executable,
            "-m",
            "fleetsim.main",
            "serve",
            "--seed",
            str(seed),
            "--speed",
            str(speed),
            "--port-base",
            "0",
            "--connections-file",
            str(path),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while not path.exists():
        if child.poll() is not None or time.monotonic() > deadline:
            err.print("The simulators did not start; continuing without them.")
            if child.poll() is None:
                child.terminate()
            return None
        time.sleep(0.1)
    from fleetgate.cli import seed as demo_seed

    names = demo_seed.seed_connectors(json.loads(path.read_text()))
    urls = ", ".join(c["base_url"] for c in json.loads(path.read_text()))
    console.print(f"Simulators on {urls}; connectors: {', '.join(names)}")
    return child
