"""Users and tokens. On the Fleetgate host they work on the database directly as the host operator
(a service identity: whoever runs them there has the database anyway). That is how the first Platform
Admin is made, and the host path may grant any roles that do not conflict, without a second admin,
and create tokens for anybody; each grant of Platform Admin, CAB Approver or Security Reviewer is a
`critical` ledger event naming `cli-bootstrap`. With --remote they go through the API as the token's
owner, a person: roles under dual control then need a role-grant request that a second Platform Admin
approves, and tokens are only for yourself or for service accounts."""

from __future__ import annotations

import secrets
from typing import Any, NoReturn

import typer
from rich.markup import escape

from fleetgate.cli.client import ApiError, Client
from fleetgate.cli.common import SERVER_OPT, TOKEN_OPT, console, err, handles_errors, setup_django
from fleetgate.cli.grants import approve_command, grant_app, parse_role, request_command

user_app = typer.Typer(help="Manage users (on this host, or --remote over the API).", no_args_is_help=True)
user_app.add_typer(grant_app, name="grant-request")
token_app = typer.Typer(help="Manage API tokens (on this host, or --remote over the API).", no_args_is_help=True)
REMOTE_OPT = typer.Option(False, "--remote", help="Go through the API with --token instead of the local database")
__all__ = ["parse_role", "token_app", "user_app"]


def _needs_grant_request(exc: ApiError, username: str, specs: list[str]) -> NoReturn:
    """The server refused a dual-control role: say the commands that get it granted."""
    problem = exc.problem
    if problem.get("rule") != "dual-control" or problem.get("attempted") != "user.grant_role":
        raise exc
    roles = set(problem.get("roles") or [])
    wanted = [s for s in specs if s.partition(":")[0] in roles] or sorted(roles)
    pending = problem.get("pending_requests") or []
    lines = [f"Granting {', '.join(sorted(roles))} to {username} needs a second Platform Admin (dual control)."]
    if pending:
        lines.append(
            f"Request {pending[0]} is pending. Next: another Platform Admin runs `{approve_command(pending[0])}`."
        )
    else:
        first = "create the user without those roles, then " if problem.get("user") is None else ""
        lines.append(f"Next: {first}`{request_command(username, wanted[0])}`;")
        lines.append(f"another Platform Admin then runs `{approve_command('ID')}`.")
    err.print(escape("\n".join(lines)), style="red", highlight=False)
    raise typer.Exit(1)


def _bootstrap_actor(*rights: str) -> Any:
    from fleetgate.core.actors import SYSTEM, service

    return service("cli-bootstrap", SYSTEM.rights | set(rights))


@user_app.command("create")
@handles_errors
def user_create(
    username: str,
    role: list[str] = typer.Option([], "--role", "-r", help="ROLE[:BOUNDARY[:BU,BU]], repeatable"),
    email: str = typer.Option("", "--email"),
    password: str = typer.Option("", "--password", help="Omit to generate one (printed once)."),
    service_account: bool = typer.Option(
        False, "--service-account", help="A non-human account: no roles, no password; tokens only."
    ),
    remote: bool = REMOTE_OPT,
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Create a user with roles."""
    chosen = "" if service_account else (password or secrets.token_urlsafe(18))
    roles = [parse_role(r) for r in role]
    if remote:
        body = {
            "username": username,
            "password": chosen,
            "roles": roles,
            "service_account": service_account,
            **({"email": email} if email else {}),
        }
        try:
            created = Client(server, token).post("/api/v1/users/", json=body)
        except ApiError as exc:
            _needs_grant_request(exc, username, role)
        user_id = created["id"]
    else:
        setup_django()
        from fleetgate.identity import services

        user_id = services.create_user(
            actor=_bootstrap_actor("user.manage"),
            username=username,
            password=chosen,
            email=email,
            roles=roles,
            service_account=service_account,
        ).pk
    console.print(f"Created {'service account' if service_account else 'user'} [bold]{username}[/bold] (id {user_id}).")
    if chosen and not password:
        console.print(f"Password (shown once): [bold]{chosen}[/bold]")


@token_app.command("create")
@handles_errors
def token_create(
    user: str = typer.Option(..., "--user", "-u", help="Username that will own the token"),
    name: str = typer.Option("cli", "--name"),
    days: int = typer.Option(90, "--days", min=1, max=365),
    remote: bool = REMOTE_OPT,
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Create an API token for a user; the secret is printed once, on the last line."""
    if remote:
        client = Client(server, token)
        owners = client.get("/api/v1/users/", username=user)
        if not owners:
            console.print(
                f"[red]No user '{user}' on {client.server}. Next: `fleetgate user create {user} --remote`.[/red]"
            )
            raise typer.Exit(1)
        made = client.post("/api/v1/tokens/", json={"name": name, "days": days, "user": owners[0]["id"]})
        key_id, expires, secret = made["key_id"], made["expires_at"][:10], made["token"]
    else:
        setup_django()
        from django.contrib.auth import get_user_model

        from fleetgate.identity import services

        owner = get_user_model().objects.filter(username=user).first()
        if owner is None:
            console.print(f"[red]No user '{user}'. Next: `fleetgate user create {user} --role ...`.[/red]")
            raise typer.Exit(1)
        row, secret = services.create_token(
            actor=_bootstrap_actor("token.manage"), user_id=owner.pk, name=name, days=days
        )
        key_id, expires = row.key_id, f"{row.expires_at:%Y-%m-%d}"
    console.print(f"Token {key_id} for {user}, expires {expires}. Shown once:")
    console.print(secret, highlight=False)


@user_app.command("unlock")
@handles_errors
def user_unlock(username: str) -> None:
    """On this host: lift the sign-in lockout of USERNAME after repeated failed sign-ins."""
    setup_django()
    from fleetgate.identity import services

    services.unlock(username)
    console.print(f"Sign-in for [bold]{username}[/bold] is unlocked.")
