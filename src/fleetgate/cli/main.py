"""`fleetgate`: run the server, administer the installation, and drive it over the API."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import typer

from fleetgate.cli import audit, cab, connectors, intents, operations, rollouts, seed, worker
from fleetgate.cli.admin import token_app, user_app
from fleetgate.cli.assist import assist_app, mcp_command
from fleetgate.cli.bundle import bundle_app, site_app
from fleetgate.cli.common import console, handles_errors, setup_django
from fleetgate.cli.evidence import evidence_app
from fleetgate.cli.reconcile import drift_app, reconcile_app
from fleetgate.cli.risk import risk_app
from fleetgate.cli.siem import siem_app

app = typer.Typer(
    help="Fleetgate: governance control plane for endpoint software deployment.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(intents.intent_app, name="intent")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(cab.cab_app, name="cab")
app.add_typer(evidence_app, name="evidence")
app.add_typer(risk_app, name="risk")
app.add_typer(connectors.connector_app, name="connector")
app.add_typer(rollouts.rollout_app, name="rollout")
app.add_typer(operations.incident_app, name="incident")
app.add_typer(operations.window_app, name="window")
app.add_typer(operations.freeze_app, name="freeze")
app.add_typer(reconcile_app, name="reconcile")
app.add_typer(drift_app, name="drift")
app.add_typer(siem_app, name="siem")
app.add_typer(bundle_app, name="bundle")
app.add_typer(site_app, name="site")
app.command("apply")(intents.apply)
app.add_typer(assist_app, name="assist")
app.command("mcp")(mcp_command)
app.command("worker")(worker.worker)
DEMO_RECONCILE_SECONDS = 30.0  # the demo's reconciliation pass, so drift shows within a minute
DEMO_TICK_SECONDS = 5.0  # the demo's engine pass (Huey's periodic tick is per minute, an hour of demo time)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema and load the default policies."""
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)


@app.command("seed-demo")
@handles_errors
def seed_demo() -> None:
    """Load demo users, applications and intents (once); print the demo sign-ins."""
    setup_django()
    created = seed.seed()
    if created:
        seed.save_credentials(created)
    _print_credentials()


def _print_credentials() -> None:
    creds = seed.load_credentials()
    if not creds:
        console.print("No demo credentials on file (demo data was not created by this data directory).")
        return
    console.print("[bold]Demo sign-ins[/bold] (role user / password):")
    for username, password in creds.items():
        console.print(f"  {username:18} {password}", highlight=False)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def manage(ctx: typer.Context) -> None:
    """Run a Django management command, e.g. `fleetgate manage spectacular`."""
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["fleetgate manage", *ctx.args])


@app.command()
def up(
    port: int = typer.Option(8000, "--port"),
    host: str = typer.Option("127.0.0.1", "--host"),
    demo: bool = typer.Option(False, "--demo", help="Seed demo data and print the demo sign-ins"),
    workers: int = typer.Option(2, "--workers", min=1),
) -> None:
    """Migrate, then run the web server and the background worker until Ctrl-C."""
    migrate()
    if demo:
        seed_demo()
    from fleetgate.config import settings as cfg

    metrics_dir = cfg.data_dir / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)  # multiprocess metrics files are per run
    metrics_dir.mkdir(parents=True)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fleetgate.settings", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    if demo:
        env["FLEETGATE_DEMO"] = "1"  # the demo clock (rollouts/clock.py) is on in the demo only
    web = web_argv(host, port, workers, WEB_THREADS)
    background = [sys.executable, "-m", "fleetgate.cli.main", "worker", "--scheduler", "--quiet"]  # the one scheduler
    children = [subprocess.Popen(web, env=env), subprocess.Popen(background, env=env)]  # noqa: S603 (our own argv)
    if demo:
        ticker = [sys.executable, "-m", "fleetgate.cli.main", "demo-tick", "--interval", str(DEMO_TICK_SECONDS)]
        children.append(subprocess.Popen(ticker, env=env))  # noqa: S603 (our own argv)
        simulators = connectors.start_demo_simulators(cfg.data_dir, speed=cfg.demo_time_scale)
        if simulators is not None:
            children.append(simulators)
    console.print(f"Fleetgate on [bold]http://{host}:{port}[/bold] (API docs /api/docs/). Ctrl-C stops it.")
    _supervise(children)


WEB_THREADS = 8


def web_argv(host: str, port: int, workers: int, threads: int) -> list[str]:
    """gunicorn as `fleetgate up` and `fleetgate web` run it: the config sets the worker class (gthread
    with bounded admission) and answers gunicorn's own refusals (414, 431, 400) as problem+json."""
    return [
        *(sys.executable, "-m", "gunicorn", "fleetgate.wsgi:application"),
        *("--config", "python:fleetgate.api.gunicorn_conf", "--bind", f"{host}:{port}"),
        *("--workers", str(workers), "--threads", str(threads), "--graceful-timeout", "10"),
    ]


@app.command()
def web(
    port: int = typer.Option(8000, "--port"),
    host: str = typer.Option("127.0.0.1", "--host"),
    workers: int = typer.Option(2, "--workers", min=1),
    threads: int = typer.Option(WEB_THREADS, "--threads", min=1),
) -> None:
    """Run only the web server (no migration, no worker): one of several behind a load balancer.

    Scaled out (README "Scaling out"): `fleetgate migrate` once, `fleetgate web` on every web machine,
    `fleetgate worker` on as many as needed and `fleetgate worker --scheduler` on exactly one, all with
    the same FLEETGATE_DATABASE_URL (PostgreSQL), FLEETGATE_REDIS_URL and FLEETGATE_SECRET_KEY."""
    from fleetgate.config import settings as cfg

    metrics_dir = cfg.data_dir / f"metrics-web-{port}"  # per server: several may share a data dir
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fleetgate.settings", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    console.print(f"Fleetgate web on [bold]http://{host}:{port}[/bold] ({workers} x {threads}). Ctrl-C stops it.")
    _supervise([subprocess.Popen(web_argv(host, port, workers, threads), env=env)])  # noqa: S603 (our argv)


@app.command("demo-tick", hidden=True)
def demo_tick(interval: float = typer.Option(DEMO_TICK_SECONDS, "--interval", min=0.5)) -> None:
    """The demo's engine pass, every few seconds, so a policy day of soak shows as seconds of rings moving."""
    setup_django()
    import logging

    from fleetgate.rollouts.services import engine

    log = logging.getLogger("fleetgate.demo")
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    from fleetgate.cli import demo
    from fleetgate.config import settings as cfg

    marker = cfg.data_dir / "demo-drift-planted"
    passes = 0
    while not stopping:
        try:
            engine.tick()
            passes += 1
            if passes % max(1, round(DEMO_RECONCILE_SECONDS / interval)) == 0:
                demo.plant_drift_once(marker)
                demo.reconcile_all()
        except Exception:  # a locked database or a plane hiccup: the next pass retries
            log.exception("demo engine tick failed; retrying in %s s", interval)
        time.sleep(interval)


def _supervise(children: list[subprocess.Popen[bytes]]) -> None:
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(c.poll() is None for c in children):
        time.sleep(0.3)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    console.print("Fleetgate stopped.")
    failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, None)]
    if failed and not stopping:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
