"""Air-gapped sites: signed offline bundles. Host commands (they read and write this installation's
artifact store and database, acting as the person whose token FLEETGATE_TOKEN holds); `bundle verify`
needs neither a database nor a network, only the bundle and the key(s) you trust."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from fleetgate.cli.common import TOKEN_OPT, console, err, handles_errors, print_json, setup_django

bundle_app = typer.Typer(
    help="Air-gapped sites: export, verify, import signed bundles and results.", no_args_is_help=True
)
trust_app = typer.Typer(help="Installations whose bundle key this one trusts.", no_args_is_help=True)
site_app = typer.Typer(help="The site registry (class, boundary, plane, time zone).", no_args_is_help=True)
bundle_app.add_typer(trust_app, name="trust")
TRUST_OPT = typer.Option([], "--trust", exists=True, dir_okay=False, help="PEM public key to trust (repeatable)")


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(), console=err)


def _actor(token: str | None) -> Any:
    """The person behind the token, resolved here as the API would (expiry, revocation, deactivation)."""
    setup_django()
    from rest_framework.exceptions import AuthenticationFailed

    from fleetgate.api.auth import TokenAuthentication

    if not token:
        err.print("Next: set FLEETGATE_TOKEN to your token (`fleetgate token create --user NAME`).", style="red")
        raise typer.Exit(1)
    try:
        return TokenAuthentication().resolve(token.strip())[1]
    except AuthenticationFailed as exc:
        err.print(f"Token refused: {exc.detail}. Next: create a new one with `fleetgate token create`.", style="red")
        raise typer.Exit(1) from None


def _intent(ref: str) -> Any:
    from django.core.exceptions import ValidationError

    from fleetgate.intents.models import DeploymentIntent

    row = DeploymentIntent.objects.filter(name=ref).first()
    if row is None:
        try:
            row = DeploymentIntent.objects.filter(pk=ref).first()
        except ValidationError:
            row = None
    if row is None:
        err.print(f"No intent '{ref}' here. Next: `fleetgate intent list` (or import its bundle first).", style="red")
        raise typer.Exit(1)
    return row


def _print_report(report: Any) -> None:
    for check in report.checks:
        mark = "[green]ok[/green]  " if check.ok else "[red]FAIL[/red]"
        console.print(f"{mark} {check.name}: {escape(check.message)}", highlight=False)


@bundle_app.command("key")
@handles_errors
def key(output: Path | None = typer.Option(None, "--output", "-o", help="write the PEM here")) -> None:
    """This installation's bundle public key: give it to the other side over a trusted channel."""
    setup_django()
    from fleetgate.sites.services.common import public_key_pem

    pem = public_key_pem()
    if output:
        output.write_text(pem)
        console.print(f"Wrote {output}", highlight=False)
    else:
        console.print(pem, end="", highlight=False, markup=False)


@bundle_app.command("export")
@handles_errors
def export(
    intent: str = typer.Argument(..., help="intent name or id"),
    site: str = typer.Option(..., "--site", help="the site the bundle is for"),
    output: Path = typer.Option(..., "--output", "-o", dir_okay=False),
    vuln_db: Path | None = typer.Option(None, "--vuln-db", exists=True, dir_okay=False, help="database snapshot file"),
    vuln_db_date: datetime | None = typer.Option(None, "--vuln-db-date", help="when that database was built"),
    token: str | None = TOKEN_OPT,
) -> None:
    """Write one signed offline bundle of an approved intent for one site."""
    actor = _actor(token)
    from fleetgate.sites.services.export import export_bundle

    row = _intent(intent)
    with _progress() as progress:
        task = progress.add_task("Writing bundle", total=None)
        exported = export_bundle(
            actor=actor,
            intent_id=row.pk,
            site_name=site,
            output=output,
            vuln_db=vuln_db,
            vuln_db_date=vuln_db_date,
            progress=lambda n: progress.advance(task, n),
        )
    console.print(
        f"Exported bundle {exported.pk} for site {site}: {output} ({exported.size} bytes), "
        f"manifest SHA-256 {exported.manifest_sha256}, signed by key {exported.key_id}.",
        highlight=False,
    )


@bundle_app.command("verify")
def verify(
    file: Path = typer.Argument(..., exists=True, dir_okay=False),
    trust: list[Path] = TRUST_OPT,
    site: str | None = typer.Option(None, "--site", help="refuse a bundle meant for another site"),
    results: bool = typer.Option(False, "--results", help="the file is a results bundle"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Check a bundle with no network and no database. Exit 2 when a check fails."""
    from fleetgate.sites import verify as verifier

    total = file.stat().st_size
    with _progress() as progress:
        task = progress.add_task("Verifying bundle", total=total)
        report = verifier.verify(
            file,
            [p.read_text() for p in trust],
            kind="results" if results else "intent",
            site=site,
            now=datetime.now(UTC),
            progress=lambda n: progress.advance(task, n),
        )
    if as_json:
        print_json(report.as_dict())
    else:
        _print_report(report)
    if not report.ok:
        err.print(f"Bundle REFUSED: failed check(s): {', '.join(report.failed)}.", style="red", highlight=False)
        raise typer.Exit(2)
    console.print(f"[green]Bundle verified[/green]: {report.manifest_sha256}", highlight=False)


@bundle_app.command("import")
@handles_errors
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False),
    trust: list[Path] = TRUST_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """At the site: verify, record the import in this ledger and make the intent available to the local plane."""
    actor = _actor(token)
    from fleetgate.sites.services.importing import import_bundle

    with _progress() as progress:
        task = progress.add_task("Verifying and importing", total=file.stat().st_size)
        row = import_bundle(
            actor=actor, path=file, trust=[p.read_text() for p in trust], progress=lambda n: progress.advance(task, n)
        )
    console.print(
        f"Imported intent {row.intent.name} ({row.intent.state}) for site {row.site.name} from bundle {row.bundle_id}. "
        f"Next: `fleetgate bundle deploy {row.intent.name} --ring {row.intent.rings[0]}`.",
        highlight=False,
    )


@bundle_app.command("deploy")
@handles_errors
def deploy(
    intent: str = typer.Argument(..., help="an imported intent"),
    ring: str = typer.Option(..., "--ring"),
    token: str | None = TOKEN_OPT,
) -> None:
    """At the site: publish and assign one ring of an imported intent on the site's own plane."""
    actor = _actor(token)
    from fleetgate.sites.services.local import deploy_ring

    row = deploy_ring(actor=actor, intent_id=_intent(intent).pk, ring=ring)
    console.print(f"{row.ring} assigned to {row.group} on {row.connector_name}.", highlight=False)


@bundle_app.command("results-export")
@handles_errors
def results_export(
    intent: str = typer.Option(..., "--intent"),
    output: Path = typer.Option(..., "--output", "-o", dir_okay=False),
    token: str | None = TOKEN_OPT,
) -> None:
    """At the site: observe each deployed ring and sign the counts into a results bundle for central."""
    actor = _actor(token)
    from fleetgate.sites.services.results import export_results

    row = export_results(actor=actor, intent_id=_intent(intent).pk, output=output)
    for ring, counts in row.summary["rings"].items():
        console.print(
            f"{ring}: {counts['installed']} installed, {counts['failed']} failed, {counts['pending']} pending",
            highlight=False,
        )
    console.print(f"Wrote results bundle {row.pk} to {output}, signed by key {row.key_id}.", highlight=False)


@bundle_app.command("results-import")
@handles_errors
def results_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False), token: str | None = TOKEN_OPT
) -> None:
    """At central: verify a site's results bundle against its registered key and feed the rollout's gates."""
    actor = _actor(token)
    from fleetgate.sites.services.results import import_results

    row = import_results(actor=actor, path=file)
    console.print(
        f"Imported results of {row.site.name} for {row.intent.name}: rings {', '.join(row.rings)}; "
        "the rollout's gates count them from its next evaluation.",
        highlight=False,
    )


@bundle_app.command("list")
@handles_errors
def list_(as_json: bool = typer.Option(False, "--json"), token: str | None = TOKEN_OPT) -> None:
    """Bundles exported and imported here."""
    actor = _actor(token)
    from fleetgate.sites import queries

    rows = [
        {
            "direction": "export",
            "kind": r.kind,
            "bundle": str(r.pk),
            "intent": r.intent.name,
            "site": r.site.name,
            "at": r.created_at.isoformat(),
        }
        for r in queries.exports(actor)
    ] + [
        {
            "direction": "import",
            "kind": r.kind,
            "bundle": str(r.bundle_id),
            "intent": r.intent.name,
            "site": r.site.name,
            "at": r.imported_at.isoformat(),
        }
        for r in queries.imports(actor)
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("direction", "kind", "bundle", "intent", "site", "at")
    for r in rows:
        table.add_row(*(str(r[k]) for k in ("direction", "kind", "bundle", "intent", "site", "at")))
    console.print(table)


@trust_app.command("add")
@handles_errors
def trust_add(
    name: str = typer.Argument(..., help="e.g. central"),
    public_key: Path = typer.Option(..., "--public-key", exists=True, dir_okay=False),
    token: str | None = TOKEN_OPT,
) -> None:
    """Trust another installation's bundle key (a Security Reviewer)."""
    actor = _actor(token)
    from fleetgate.sites.services import registry

    row = registry.trust_installation(actor=actor, name=name, public_key_pem=public_key.read_text())
    console.print(f"Trusting {row.name}: key {row.key_id}.", highlight=False)


@trust_app.command("list")
@handles_errors
def trust_list() -> None:
    setup_django()
    from fleetgate.sites import queries

    for row in queries.trusted_installations():
        console.print(f"{row.key_id}  {row.name}  added {row.added_at:%Y-%m-%d}", highlight=False)


@site_app.command("add")
@handles_errors
def site_add(
    name: str,
    site_class: str = typer.Option(..., "--class", help="online, intermittent or air_gapped"),
    boundary: str = typer.Option(..., "--boundary"),
    plane: str = typer.Option(..., "--plane", help="intune, jamf, sccm, landscape or ansible"),
    connector: str = typer.Option("", "--connector", help="the connector that serves the site's plane"),
    time_zone: str = typer.Option("UTC", "--time-zone"),
    public_key: Path | None = typer.Option(None, "--public-key", exists=True, dir_okay=False),
    token: str | None = TOKEN_OPT,
) -> None:
    """Register a site (a Platform Admin)."""
    actor = _actor(token)
    from fleetgate.sites.services import registry

    data = {
        "name": name,
        "site_class": site_class,
        "boundary": boundary,
        "plane": plane,
        "connector_name": connector,
        "time_zone": time_zone,
        "public_key_pem": public_key.read_text() if public_key else "",
    }
    row = registry.create_site(actor=actor, data=data)
    console.print(f"Site {row.name} ({row.site_class}, {row.boundary}) registered.", highlight=False)


@site_app.command("list")
@handles_errors
def site_list(as_json: bool = typer.Option(False, "--json")) -> None:
    setup_django()
    from fleetgate.sites import queries

    rows = [s.snapshot() for s in queries.sites()]
    if as_json:
        console.print(json.dumps(rows, indent=1), highlight=False)
        return
    for s in rows:
        console.print(f"{s['name']:20} {s['site_class']:13} {s['boundary']:12} {s['plane']} {s['time_zone']}")
