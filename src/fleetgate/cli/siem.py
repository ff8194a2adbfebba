"""Client commands for SIEM destinations (the ledger streamed to syslog or HTTPS receivers), over the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from fleetgate.cli.client import Client
from fleetgate.cli.common import SERVER_OPT, TOKEN_OPT, console, handles_errors, print_json

siem_app = typer.Typer(help="SIEM destinations: where the ledger is streamed (over the API).", no_args_is_help=True)
BASE = "/api/v1/siem/destinations/"


def resolve(client: Client, ref: str) -> dict[str, Any]:
    """Accept an id or a name."""
    for row in client.get(BASE):
        if ref in (row["name"], str(row["id"])):
            return dict(row)
    return dict(client.get(f"{BASE}{ref}/"))


@siem_app.command("list")
@handles_errors
def list_destinations(
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Each destination with its place in the ledger, lag and last error."""
    rows = Client(server, token).get(BASE)
    if as_json:
        print_json(rows)
        return
    table = Table("name", "kind", "receiver", "format", "enabled", "acknowledged", "lag", "failures", "last error")
    for row in rows:
        table.add_row(
            row["name"],
            row["kind"],
            f"{row['host']}:{row['port']}{row['path']}",
            row["format"],
            "yes" if row["enabled"] else "no",
            f"{row['acknowledged_sequence']} / {row['ledger_head']}",
            str(row["lag"]),
            f"{row['consecutive_failures']} ({row['failures_total']} in all)",
            row["last_error"] or "-",
        )
    console.print(table)


@siem_app.command("add")
@handles_errors
def add(
    name: str = typer.Argument(..., help="a short name, e.g. soc-rsyslog"),
    kind: str = typer.Option(..., "--kind", help="syslog-tcp, syslog-tls, https-hec or https-json"),
    host: str = typer.Option(..., "--host"),
    port: int = typer.Option(..., "--port"),
    fmt: str | None = typer.Option(None, "--format", help="cef or json (syslog; HTTPS is always json)"),
    path: str | None = typer.Option(None, "--path", help="HTTPS only (HEC default /services/collector/event)"),
    ca_file: Path | None = typer.Option(None, "--ca-file", exists=True, dir_okay=False, help="CA certificate(s), PEM"),
    server_name: str | None = typer.Option(None, "--tls-server-name", help="name to verify (default: host)"),
    no_verify: bool = typer.Option(False, "--no-verify", help="Do not verify the receiver's certificate"),
    hec_token: str | None = typer.Option(
        None, "--hec-token", envvar="FLEETGATE_SIEM_TOKEN", help="HEC or bearer token"
    ),
    batch_size: int | None = typer.Option(None, "--batch-size"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Add a destination (Platform Admin); it receives the whole ledger from sequence 1."""
    body: dict[str, Any] = {"name": name, "kind": kind, "host": host, "port": port}
    optional = {"format": fmt, "path": path, "tls_server_name": server_name, "batch_size": batch_size}
    body.update({k: v for k, v in optional.items() if v is not None})
    if ca_file is not None:
        body["tls_ca_pem"] = ca_file.read_text()
    if no_verify:
        body["tls_verify"] = False
    if hec_token:
        body["secrets"] = {"token": hec_token}
    row = Client(server, token).post(BASE, json=body)
    console.print(f"Added [bold]{row['name']}[/bold] (id {row['id']}): {row['lag']} events to send.", highlight=False)


def _activation(ref: str, enabled: bool, server: str | None, token: str | None) -> None:
    client = Client(server, token)
    row = client.post(f"{BASE}{resolve(client, ref)['id']}/activation/", json={"enabled": enabled})
    state = "streaming" if row["enabled"] else "paused"
    console.print(f"{row['name']}: {state} at sequence {row['acknowledged_sequence']}.", highlight=False)


@siem_app.command("pause")
@handles_errors
def pause(ref: str = typer.Argument(...), server: str | None = SERVER_OPT, token: str | None = TOKEN_OPT) -> None:
    """Stop sending; the destination keeps its place."""
    _activation(ref, False, server, token)


@siem_app.command("resume")
@handles_errors
def resume(ref: str = typer.Argument(...), server: str | None = SERVER_OPT, token: str | None = TOKEN_OPT) -> None:
    """Send again from the acknowledged sequence, at once."""
    _activation(ref, True, server, token)


@siem_app.command("test")
@handles_errors
def send_test(ref: str = typer.Argument(...), server: str | None = SERVER_OPT, token: str | None = TOKEN_OPT) -> None:
    """Send one probe event (sequence 0) now and say whether the receiver took it."""
    client = Client(server, token)
    result = client.post(f"{BASE}{resolve(client, ref)['id']}/test/")
    colour = "green" if result["ok"] else "red"
    console.print(f"[{colour}]{result['destination']['name']}: {result['detail']}[/{colour}]", highlight=False)
    if not result["ok"]:
        raise typer.Exit(1)
