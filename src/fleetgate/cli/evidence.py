"""Evidence commands. `add`, `list`, `seal`, `download`, `keys` talk to a server; `verify` runs offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from fleetgate.cli.client import ApiError, Client
from fleetgate.cli.common import SERVER_OPT, TOKEN_OPT, console, err, handles_errors, print_json
from fleetgate.cli.intents import resolve_intent

evidence_app = typer.Typer(help="Evidence: attach, seal, download and verify packs.", no_args_is_help=True)
KINDS = "sbom, vulnerability_scan, malware_scan, signature, provenance, install_facts, rollback_plan, test_evidence"


@evidence_app.command("add")
@handles_errors
def add(
    artifact: str = typer.Argument(..., help="artifact id"),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="the evidence document"),
    kind: str = typer.Option(..., "--kind", "-k", help=KINDS),
    declare_binding: bool = typer.Option(
        False,
        "--declare-binding",
        help="Bind a vulnerability scan that names no digest (trivy fs, grype dir:) to this artifact yourself; "
        "recorded as binding 'declared'",
    ),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Upload one evidence document (streamed) for an artifact."""
    client = Client(server, token)
    data = {"artifact": artifact, "kind": kind, "binding": "declared" if declare_binding else "digest"}
    with file.open("rb") as stream:
        response = client.request("POST", "/api/v1/evidence/", data=data, files={"file": (file.name, stream)})
    item = response.json()
    console.print(f"Added {item['kind']} {item['filename']} ({item['status']}) as {item['id']}", highlight=False)
    for warning in item["summary"].get("warnings", []):
        err.print(f"warning: {warning}", highlight=False, markup=False)
    if item["summary"].get("binding") == "declared":
        console.print("Bound to the artifact by your declaration (binding: declared).", highlight=False)
    if item["summary"].get("vulnerabilities_recorded_as"):
        count = item["summary"].get("vulnerability_count", 0)
        console.print(f"Its {count} vulnerabilities are recorded as a vulnerability scan too.", highlight=False)


@evidence_app.command("list")
@handles_errors
def list_items(
    artifact: str = typer.Argument(..., help="artifact id"),
    as_json: bool = typer.Option(False, "--json"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """The current evidence of an artifact; verified and declared are shown apart."""
    rows = Client(server, token).get("/api/v1/evidence/", artifact=artifact, current="true", page_size=200)["results"]
    if as_json:
        print_json(rows)
        return
    table = Table("kind", "format", "status", "file", "sha256", "added")
    for row in rows:
        table.add_row(row["kind"], row["format"], row["status"], row["filename"], row["sha256"][:12], row["created_at"])
    console.print(table)


@evidence_app.command("seal")
@handles_errors
def seal(
    intent: str = typer.Argument(..., help="intent name or id"),
    artifact: str | None = typer.Argument(None, help="artifact id (needed only when the version has several)"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Also download the sealed JSON here"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Seal the next pack version, or list every completeness gap."""
    client = Client(server, token)
    row = resolve_intent(client, intent)
    artifact = artifact or _only_artifact(client, row)
    pack = client.post("/api/v1/evidence-packs/", {"intent": row["id"], "artifact": artifact})
    console.print(f"Sealed pack {pack['id']} v{pack['version']} sha256 {pack['sha256']} (key {pack['key_id']})")
    if output:
        output.write_bytes(client.request("GET", f"/api/v1/evidence-packs/{pack['id']}/download/").content)
        console.print(f"Wrote {output}")


def _only_artifact(client: Client, intent: dict[str, Any]) -> str:
    versions = client.get("/api/v1/versions/", application=intent["application"], version=intent["version"])
    artifacts = [a for v in versions["results"] for a in v["artifacts"]]
    if len(artifacts) != 1:
        listed = ", ".join(f"{a['id']} ({a['platform']} {a['format']})" for a in artifacts) or "none"
        raise ApiError(
            0,
            {
                "code": "artifact-required",
                "detail": (
                    f"{intent['application_name']} {intent['version']} has {len(artifacts)} artifacts ({listed}); "
                    "name the one to seal as the second argument."
                ),
            },
        )
    return str(artifacts[0]["id"])


@evidence_app.command("download")
@handles_errors
def download(
    pack: str = typer.Argument(..., help="pack id"),
    output: Path = typer.Option(..., "--output", "-o"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Save the sealed JSON of a pack for offline verification."""
    output.write_bytes(Client(server, token).request("GET", f"/api/v1/evidence-packs/{pack}/download/").content)
    console.print(f"Wrote {output}")


@evidence_app.command("keys")
@handles_errors
def keys(
    output_dir: Path | None = typer.Option(None, "--output-dir", help="Write each public key as KEYID.pem"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """The installation's sealing public keys (current and retired)."""
    rows = Client(server, token).get("/api/v1/evidence-keys/")
    for row in rows:
        state = f"retired {row['retired_at']}" if row["retired_at"] else "current"
        console.print(f"{row['key_id']}  {state}")
        if output_dir:
            output_dir.mkdir(parents=True, exist_ok=True)
            (output_dir / f"{row['key_id']}.pem").write_text(row["public_pem"])


@evidence_app.command("verify")
def verify(
    pack: Path = typer.Argument(..., exists=True, dir_okay=False, help="the sealed pack JSON"),
    public_key: list[Path] = typer.Option(
        [], "--public-key", "-k", exists=True, dir_okay=False, help="Installation public key(s) (PEM); repeat"
    ),
    artifact: Path | None = typer.Option(None, "--artifact", exists=True, dir_okay=False, help="Check this file too"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Verify a sealed pack fully offline (no database, no server). Exit 2 naming the failed check."""
    import hashlib

    from fleetgate.evidence import verify as verifier

    digest = None
    if artifact:
        h = hashlib.sha256()
        with artifact.open("rb") as stream:
            while chunk := stream.read(1024 * 1024):
                h.update(chunk)
        digest = h.hexdigest()
    keys_pem = [p.read_text() for p in public_key] if public_key else None
    report = verifier.verify(pack.read_bytes(), keys_pem, digest)
    if as_json:
        console.print_json(json.dumps(report.as_dict()))
    else:
        for check in report.checks:
            mark = "[green]ok[/green]  " if check.ok else "[red]FAIL[/red]"
            console.print(f"{mark} {check.name}: {check.message}", highlight=False)
    if not report.ok:
        failed = report.first_failure
        err.print(f"[red]Pack NOT verified: check '{failed.name if failed else '?'}' failed.[/red]", highlight=False)
        raise typer.Exit(2)
    console.print(
        f"[green]Pack verified[/green]: sha256 {report.sha256}, key {report.key_id}"
        + ("" if report.pinned else " (key not pinned)")
    )
