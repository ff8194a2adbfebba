"""Commands run on the Fleetgate host itself, against its database: bootstrap users and tokens."""

from __future__ import annotations

import secrets

import typer

from fleetgate.cli.common import console, handles_errors, setup_django

user_app = typer.Typer(help="Manage users on this installation (needs database access).", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens on this installation (needs database access).", no_args_is_help=True)


def parse_role(spec: str) -> dict[str, object]:
    """ROLE[:BOUNDARY[:BU1,BU2]] e.g. publisher:acme:finance,hr — omitted parts mean all (*)."""
    role, _, rest = spec.partition(":")
    boundary, _, bus = rest.partition(":")
    return {"role": role, "boundary": boundary or "*", "business_units": [b for b in bus.split(",") if b] or ["*"]}


@user_app.command("create")
@handles_errors
def user_create(
    username: str,
    role: list[str] = typer.Option([], "--role", "-r", help="ROLE[:BOUNDARY[:BU,BU]], repeatable"),
    email: str = typer.Option("", "--email"),
    password: str = typer.Option("", "--password", help="Omit to generate one (printed once)."),
) -> None:
    """Create a user. Runs as the local system actor, so it works before any admin exists."""
    setup_django()
    from fleetgate.core import services
    from fleetgate.core.actors import SYSTEM, service

    actor = service("cli-bootstrap", SYSTEM.rights | {"user.manage"})
    chosen = password or secrets.token_urlsafe(18)
    user = services.create_user(
        actor=actor, username=username, password=chosen, email=email, roles=[parse_role(r) for r in role]
    )
    console.print(f"Created user [bold]{user.username}[/bold] (id {user.pk}).")
    if not password:
        console.print(f"Password (shown once): [bold]{chosen}[/bold]")


@token_app.command("create")
@handles_errors
def token_create(
    user: str = typer.Option(..., "--user", "-u", help="Username that will own the token"),
    name: str = typer.Option("cli", "--name"),
    days: int = typer.Option(90, "--days", min=1, max=365),
) -> None:
    """Create an API token for a user; the secret is printed once."""
    setup_django()
    from django.contrib.auth import get_user_model

    from fleetgate.core import services
    from fleetgate.core.actors import SYSTEM, service

    owner = get_user_model().objects.filter(username=user).first()
    if owner is None:
        console.print(f"[red]No user '{user}'. Next: `fleetgate user create {user} --role ...`.[/red]")
        raise typer.Exit(1)
    actor = service("cli-bootstrap", SYSTEM.rights | {"token.manage"})
    token, secret = services.create_token(actor=actor, user_id=owner.pk, name=name, days=days)
    console.print(f"Token {token.key_id} for {user}, expires {token.expires_at:%Y-%m-%d}. Shown once:")
    console.print(secret, highlight=False)
