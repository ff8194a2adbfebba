"""Ledger commands: verify the chain locally, export it from a server."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from fleetgate.cli.client import Client
from fleetgate.cli.common import SERVER_OPT, TOKEN_OPT, console, err, handles_errors, setup_django

audit_app = typer.Typer(help="The tamper-evident ledger.", no_args_is_help=True)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )


@audit_app.command("verify")
@handles_errors
def verify(
    remote: bool = typer.Option(False, "--remote", help="Ask the server to verify instead of reading the DB here"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Recompute the hash chain and name the first bad sequence. Exit 2 when the chain is broken."""
    if remote:
        result = Client(server, token).post("/api/v1/ledger/verify/")
    else:
        setup_django()
        from fleetgate.audit.verify import count_events, verify_chain

        with _progress() as progress:
            task = progress.add_task("Verifying ledger", total=count_events())
            result = verify_chain(progress=lambda n: progress.advance(task, n)).as_dict()
    if result["ok"]:
        console.print(
            f"[green]Ledger intact[/green]: {result['checked']} events, head {result['head_sequence']}, "
            f"{result['checkpoints_verified']} signed checkpoints."
        )
        return
    err.print(
        f"[red]Ledger BROKEN at sequence {result['first_bad_sequence']}[/red]: {result['problem']}. "
        f"{result['checked']} events before it verified. Next: preserve the database as evidence and "
        "compare with the last exported copy (`fleetgate audit export`).",
        highlight=False,
    )
    raise typer.Exit(2)


@audit_app.command("export")
@handles_errors
def export(
    output: Path | None = typer.Option(None, "--output", "-o", help="File to write (default stdout)"),
    after: int = typer.Option(0, "--after", help="Only events after this sequence (incremental export)"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Export events as JSON lines from a server (auditor, security reviewer or platform admin)."""
    client = Client(server, token)
    count = 0
    sink = output.open("w") if output else sys.stdout
    try:
        with client.http.stream("GET", "/api/v1/ledger/export/", params={"after_sequence": after}) as response:
            if response.status_code >= 400:
                response.read()
                client.request("GET", "/api/v1/ledger/export/", params={"after_sequence": after})
            with _progress() as progress:
                task = progress.add_task("Exporting ledger", total=None)
                for line in response.iter_lines():
                    sink.write(line + "\n")
                    count += 1
                    progress.advance(task)
    finally:
        if output:
            sink.close()
    err.print(f"Exported {count} events" + (f" to {output}" if output else "") + ".")
