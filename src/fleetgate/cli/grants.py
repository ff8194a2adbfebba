"""`fleetgate user grant-request`: dual control for Platform Admin, CAB Approver and Security Reviewer.

One Platform Admin files a request, a different one approves or rejects it; both are people, so the
writes go over the API (--remote) as the token's owner. On the host, `list` reads the database; the
writes there would act as the host operator, a service identity, which never decides a grant.
"""

from __future__ import annotations

from typing import Any, NoReturn

import typer
from rich.markup import escape
from rich.table import Table

from fleetgate.cli.client import ApiError, Client
from fleetgate.cli.common import SERVER_OPT, TOKEN_OPT, console, err, handles_errors, print_json, setup_django

grant_app = typer.Typer(
    help="Role-grant requests under dual control: one Platform Admin asks, another approves.", no_args_is_help=True
)
REMOTE_OPT = typer.Option(False, "--remote", help="Go through the API with --token instead of the local database")
PATH = "/api/v1/role-grant-requests/"
STATES = ("pending", "approved", "rejected", "all")


def parse_role(spec: str) -> dict[str, Any]:
    """ROLE[:BOUNDARY[:BU1,BU2]], as `fleetgate user create --role` takes it."""
    role, _, rest = spec.partition(":")
    boundary, _, units = rest.partition(":")
    return {"role": role, "boundary": boundary or "*", "business_units": [u for u in units.split(",") if u] or ["*"]}


def approve_command(request_id: object) -> str:
    return f"fleetgate user grant-request approve {request_id} --remote"


def request_command(username: str, role: str) -> str:
    return f'fleetgate user grant-request create {username} --role {role} --reason "why they need it" --remote'


def _host_refusal(what: str, next_command: str) -> NoReturn:
    err.print(
        escape(
            f"On the host you act as the host operator, a service identity, and {what} is decided by people. "
            f"Next: `{next_command}` with your own token (FLEETGATE_TOKEN or --token)."
        ),
        style="red",
        highlight=False,
    )
    raise typer.Exit(1)


def _dual_control_exit(exc: ApiError, request_id: object) -> NoReturn:
    """An approval the server refused under dual control, said as what to do next."""
    if exc.problem.get("rule") != "dual-control":
        raise exc
    err.print(
        escape(
            f"You filed role-grant request {request_id}, or it is for you: dual control needs a different "
            f"Platform Admin. Next: ask another Platform Admin to run `{approve_command(request_id)}`."
        ),
        style="red",
        highlight=False,
    )
    raise typer.Exit(1)


def _show(rows: list[dict[str, Any]], me: str | None, as_json: bool) -> None:
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No role-grant requests.")
        return
    table = Table("id", "user", "role", "boundary", "business units", "state", "requested by", "requested at", "reason")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["username"],
            r["role"],
            r["boundary"],
            ", ".join(r["business_units"]),
            r["state"],
            r["requested_by"],
            str(r["requested_at"])[:16],
            r["reason"],
        )
    console.print(table)
    pending = [r for r in rows if r["state"] == "pending"]
    for r in pending:
        if me in (r["requested_by"], r["username"]):
            console.print(
                f"Request {r['id']} is yours (you filed it, or it is for you): another Platform Admin decides it."
            )
    if pending:
        console.print(
            escape(f"Decide one: `{approve_command('ID')}`, or `fleetgate user grant-request reject ID --reason ...`."),
            highlight=False,
        )


def _host_rows(state: str) -> list[dict[str, Any]]:
    setup_django()
    from fleetgate.identity import queries

    qs = queries.grant_requests()
    if state != "all":
        qs = qs.filter(state=state)
    return [
        {
            "id": r.pk,
            "username": r.user.get_username(),
            "role": r.role,
            "boundary": r.boundary,
            "business_units": sorted(r.business_units),
            "state": r.state,
            "requested_by": r.requested_by.get_username(),
            "requested_at": r.requested_at.isoformat(),
            "reason": r.reason,
        }
        for r in qs
    ]


@grant_app.command("list")
@handles_errors
def grant_list(
    state: str = typer.Option("pending", "--state", help=f"One of: {', '.join(STATES)}"),
    as_json: bool = typer.Option(False, "--json"),
    remote: bool = REMOTE_OPT,
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """List role-grant requests (pending by default)."""
    if state not in STATES:
        err.print(f"[red]--state must be one of: {', '.join(STATES)}.[/red]")
        raise typer.Exit(1)
    if not remote:
        _show(_host_rows(state), None, as_json)
        return
    client = Client(server, token)
    rows = client.get(PATH, state=None if state == "all" else state)
    _show(rows, client.get("/api/v1/me/")["username"], as_json)


@grant_app.command("create")
@handles_errors
def grant_create(
    username: str,
    role: str = typer.Option(..., "--role", "-r", help="ROLE[:BOUNDARY[:BU,BU]], e.g. cab_approver:acme"),
    reason: str = typer.Option(..., "--reason", help="Why the role is needed (recorded in the ledger)"),
    remote: bool = REMOTE_OPT,
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Ask for a role under dual control for USERNAME; another Platform Admin approves it."""
    if not remote:
        _host_refusal("a role-grant request", request_command(username, role))
    client = Client(server, token)
    users = client.get("/api/v1/users/", username=username)
    if not users:
        err.print(
            escape(
                f"No user '{username}' on {client.server}. Next: check the name, or `fleetgate user create {username}`."
            ),
            style="red",
            highlight=False,
        )
        raise typer.Exit(1)
    row = client.post(PATH, json={"user": users[0]["id"], **parse_role(role), "reason": reason})
    console.print(
        f"Role-grant request {row['id']} filed: {row['role']} over {row['boundary']} for {row['username']} (pending)."
    )
    console.print(escape(f"Next: another Platform Admin runs `{approve_command(row['id'])}`."), highlight=False)


@grant_app.command("approve")
@handles_errors
def grant_approve(
    request_id: int,
    reason: str = typer.Option("", "--reason", help="Optional note recorded with the approval"),
    remote: bool = REMOTE_OPT,
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Approve request ID (you must not have filed it, nor be its recipient): the role is granted now."""
    if not remote:
        _host_refusal("a role grant", approve_command(request_id))
    try:
        row = Client(server, token).post(f"{PATH}{request_id}/approve/", json={"reason": reason})
    except ApiError as exc:
        _dual_control_exit(exc, request_id)
    console.print(f"Approved request {row['id']}: {row['username']} now holds {row['role']} over {row['boundary']}.")


@grant_app.command("reject")
@handles_errors
def grant_reject(
    request_id: int,
    reason: str = typer.Option(..., "--reason", help="Why (recorded in the ledger)"),
    remote: bool = REMOTE_OPT,
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Reject request ID, with a reason."""
    if not remote:
        _host_refusal("a role grant", f'fleetgate user grant-request reject {request_id} --reason "..." --remote')
    row = Client(server, token).post(f"{PATH}{request_id}/reject/", json={"reason": reason})
    console.print(f"Rejected request {row['id']} ({row['role']} for {row['username']}).")
