"""Client commands for rollouts (over the API); incidents, windows and the freeze are in `operations.py`.

`fleetgate rollout start|status|plan|promote|pause|resume|halt|rollback INTENT` take the intent by
name (or id); actions answer with the job the server queued and, with `--wait`, poll it.
"""

from __future__ import annotations

import time
from typing import Any, NoReturn

import typer
from rich.console import Group, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from fleetgate.cli.client import ApiError, Client
from fleetgate.cli.common import SERVER_OPT, TOKEN_OPT, console, err, handles_errors, print_json
from fleetgate.cli.intents import resolve_intent

rollout_app = typer.Typer(help="Rollouts of approved intents (over the API).", no_args_is_help=True)

TERMINAL = {"completed", "rolled_back", "failed"}
JOB_DONE = {"succeeded", "failed"}
OUTCOME_STYLE = {"pass": "green", "fail": "red", "blocked": "magenta", "inconclusive": "yellow", "waiting": "cyan"}
BAR_WIDTH = 30
WAIT_OPT = typer.Option(False, "--wait", help="Poll the job until it finishes")
TIMEOUT_OPT = typer.Option(120.0, "--timeout", min=1.0, help="Seconds --wait polls before giving up")


def fail(message: str, next_step: str) -> NoReturn:
    err.print(f"[red]{escape(message)}[/red]\nNext: {escape(next_step)}", highlight=False)
    raise typer.Exit(1)


def resolve_rollout(client: Client, ref: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The intent named `ref` (or with that id) and its rollout."""
    intent = resolve_intent(client, ref)
    rows = client.get("/api/v1/rollouts/", intent=intent["id"])["results"]
    if not rows:
        fail(
            f"Intent {intent['name']} has no rollout (it is {intent['state']}).",
            f"start it with `fleetgate rollout start {intent['name']}` once it is approved.",
        )
    return intent, dict(rows[0])


# ---- jobs -------------------------------------------------------------------------------------


def _report(client: Client, accepted: dict[str, Any], verb: str, wait: bool, timeout: float) -> None:
    job, rollout = accepted["job"], accepted["rollout"]
    console.print(
        f"Accepted {verb} on [bold]{escape(rollout['intent_name'])}[/bold]: job {job['id']} {job['status']}; "
        f"rollout {rollout['status']} at {rollout['current_ring'] or '-'}.",
        highlight=False,
    )
    if not wait:
        console.print(f"Follow it with `fleetgate rollout status {rollout['intent_name']} --watch`.", highlight=False)
        return
    done = wait_for_job(client, int(job["id"]), timeout)
    for line in done.get("log") or []:
        console.print(f"  {line.get('at', '')[11:19]} {escape(str(line.get('message', '')))}", highlight=False)
    if done["status"] != "succeeded":
        fail(
            f"Job {done['id']} {done['status']}: {done.get('error') or 'see its log'}",
            f"check `fleetgate rollout status {rollout['intent_name']}` and retry the action.",
        )
    latest = client.get(f"/api/v1/rollouts/{rollout['id']}/")
    console.print(f"Job {done['id']} succeeded; rollout {latest['status']}: {escape(latest['status_detail'])}")


def wait_for_job(client: Client, job_id: int, timeout: float, interval: float = 0.5) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = dict(client.get(f"/api/v1/jobs/{job_id}/"))
        if job["status"] in JOB_DONE:
            return job
        if time.monotonic() > deadline:
            fail(
                f"Job {job_id} is still {job['status']} after {timeout:g} s.",
                "make sure a worker runs (`fleetgate up` starts one), then poll "
                f"`GET /api/v1/jobs/{job_id}/` or run the command again with a longer --timeout.",
            )
        time.sleep(interval)


def _act(ref: str, action: str, reason: str, wait: bool, timeout: float, server: str | None, token: str | None) -> None:
    client = Client(server, token)
    _, rollout = resolve_rollout(client, ref)
    try:
        accepted = client.post(f"/api/v1/rollouts/{rollout['id']}/{action}/", json={"reason": reason})
    except ApiError as exc:
        if exc.status != 409:
            raise
        fail(exc.render().replace(_CHECK_INTENT, ""), f"see what holds it with `fleetgate rollout status {ref}`.")
    _report(client, accepted, action, wait, timeout)


_CHECK_INTENT = "\nNext: check the object's current state with `fleetgate intent show`."


# ---- rollout commands -------------------------------------------------------------------------


@rollout_app.command("start")
@handles_errors
def start(
    ref: str,
    wait: bool = WAIT_OPT,
    timeout: float = TIMEOUT_OPT,
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Start an approved intent's rollout now (Publisher within scope)."""
    client = Client(server, token)
    intent = resolve_intent(client, ref)
    accepted = client.post(f"/api/v1/intents/{intent['id']}/start/", headers={"If-Match": intent["etag"]})
    _report(client, accepted, "start", wait, timeout)


ACTIONS = {
    "pause": ("Pause the rollout at its current ring.", ""),
    "resume": ("Resume a paused or halted rollout (the gates decide again).", ""),
    "halt": ("Halt the rollout; it waits for a person to resume or roll it back.", "required: why it stops"),
    "rollback": ("Roll back every ring reached, in reverse ring order.", "required: why it goes back"),
    "promote": (
        "Promote a ring awaiting judgment (inconclusive past its time to compliance).",
        "required: your judgment, recorded with the gates",
    ),
}


def _register(action: str, summary: str, reason_help: str) -> None:
    """One command per rollout action; the ones that need a written reason require --reason."""
    reason_option = typer.Option(... if reason_help else "", "--reason", help=reason_help or "why (recorded)")

    def command(
        ref: str,
        reason: str = reason_option,
        wait: bool = WAIT_OPT,
        timeout: float = TIMEOUT_OPT,
        server: str | None = SERVER_OPT,
        token: str | None = TOKEN_OPT,
    ) -> None:
        _act(ref, action, reason, wait, timeout, server, token)

    command.__doc__ = summary
    command.__name__ = action
    rollout_app.command(action)(handles_errors(command))


for _action, (_summary, _reason_help) in ACTIONS.items():
    _register(_action, _summary, _reason_help)


@rollout_app.command("plan")
@handles_errors
def plan(
    ref: str,
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """The expected timeline ring by ring (a dry run: no plane is touched)."""
    client = Client(server, token)
    intent = resolve_intent(client, ref)
    body = client.post(f"/api/v1/intents/{intent['id']}/plan/")
    if as_json:
        print_json(body)
        return
    console.print(f"Plan for [bold]{escape(intent['name'])}[/bold] ({body['state']}){_demo_note(body)}")
    table = Table("ring", "devices", "groups", "earliest start", "earliest promotion", "soak h", "blockers")
    for ring in body["rings"]:
        table.add_row(
            ring["ring"],
            str(ring["planned_devices"]),
            ", ".join(f"{k}: {v}" for k, v in ring["groups"].items()),
            ring["earliest_start"] or "-",
            ring["earliest_promotion"] or "-",
            f"{ring['min_soak_hours']:g}",
            "; ".join(ring["blockers"]) or "-",
        )
    console.print(table)
    for warning in body.get("warnings") or []:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False)


@rollout_app.command("status")
@handles_errors
def status(
    ref: str,
    watch: bool = typer.Option(False, "--watch", help="Redraw until the rollout ends or Ctrl-C"),
    interval: float = typer.Option(2.0, "--interval", min=0.2, help="Seconds between redraws with --watch"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts"),
    server: str | None = SERVER_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Per-ring and per-plane progress (installed / failed / pending) and gate outcomes."""
    client = Client(server, token)
    _, rollout = resolve_rollout(client, ref)
    detail = client.get(f"/api/v1/rollouts/{rollout['id']}/")
    if as_json:
        print_json(detail)
        return
    if not watch:
        console.print(render(detail))
        return
    try:
        with Live(render(detail), console=console, auto_refresh=False) as live:
            while detail["status"] not in TERMINAL:
                time.sleep(interval)
                detail = client.get(f"/api/v1/rollouts/{rollout['id']}/")
                live.update(render(detail), refresh=True)
    except KeyboardInterrupt:
        return


def _demo_note(body: dict[str, Any]) -> str:
    scale = float(body.get("demo_time_scale") or 1.0)
    return f" [yellow](demo clock: 1 s = {scale / 3600:g} policy h)[/yellow]" if scale != 1.0 else ""


def bar(counts: dict[str, Any], planned: int = 0) -> Text:
    """installed █ green, failed █ red, pending ░ yellow, out of the devices the plane reports."""
    installed, failed, pending = (int(counts.get(k) or 0) for k in ("installed", "failed", "pending"))
    total = max(int(counts.get("total") or 0), installed + failed + pending, planned, 1)
    cells = [round(BAR_WIDTH * n / total) for n in (installed, failed, pending)]
    text = Text()
    for n, char, style in zip(cells, "██░", ("green", "red", "yellow"), strict=True):
        text.append(char * n, style=style)
    text.append("·" * max(0, BAR_WIDTH - sum(cells)), style="dim")
    text.append(f" {installed} installed, {failed} failed, {pending} pending of {total}")
    return text


def _sum(targets: list[dict[str, Any]]) -> dict[str, int]:
    keys = ("installed", "failed", "pending", "total")
    return {k: sum(int(t["counts"].get(k) or 0) for t in targets) for k in keys}


def render(detail: dict[str, Any]) -> RenderableType:
    """One block per ring: its state, a bar for the ring and one per plane, then its gates."""
    head = Text.from_markup(
        f"[bold]{escape(detail['intent_name'])}[/bold] {escape(detail['application'])} {detail['version']}: "
        f"[bold]{detail['status']}[/bold] at {detail['current_ring'] or '-'}{_demo_note(detail)}"
    )
    parts: list[RenderableType] = [head, Text(detail["status_detail"] or "", style="dim")]
    for ring in detail["rings"]:
        planned = sum(int(t["planned_devices"]) for t in ring["targets"])
        parts.append(
            Text(f"{ring['ring']:11} {ring['state']:18} ", style="bold").append(bar(_sum(ring["targets"]), planned))
        )
        for t in ring["targets"]:
            label = f"  {t['connector']} ({t['platform']}, {t['group']}) "
            parts.append(Text(label).append(bar(t["counts"], t["planned_devices"])))
            if t.get("count_warning"):
                parts.append(Text(f"  warning: {t['count_warning']}", style="yellow"))
        if ring["gates"]:
            gates = Text("  gates: ")
            for g in ring["gates"]:
                gates.append(f"{g['gate']}: {g['outcome']}  ", style=OUTCOME_STYLE.get(g["outcome"], ""))
            parts.append(gates)
    return Group(*parts)


# ---- incidents --------------------------------------------------------------------------------
