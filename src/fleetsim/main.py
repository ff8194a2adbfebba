"""`fleetsim`: run the execution-plane simulators alone, reproducibly from a seed."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import typer

from fleetsim.fleet import DEFAULT_GROUPS, Fleet, GroupSpec
from fleetsim.planes import SIMULATORS, connection
from fleetsim.server import FAULT_KINDS, Credentials, Running, start

app = typer.Typer(
    help="Protocol-faithful simulators of Intune (Graph), Jamf Pro, SCCM AdminService, Landscape and AWX.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def demo_credentials(seed: int, plane: str) -> Credentials:
    """Stable per (seed, plane), so a restarted demo keeps its registered connectors valid."""
    import hashlib

    digest = hashlib.sha256(f"fleetsim:{seed}:{plane}".encode()).hexdigest()
    return Credentials(
        client_id=f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}",
        client_secret=digest[32:64],
    )


def start_all(
    *,
    seed: int,
    planes: list[str],
    host: str = "127.0.0.1",
    port_base: int = 0,
    speed: float = 1.0,
    scale: float = 1.0,
    fleet_config: dict[str, Any] | None = None,
) -> list[Running]:
    """One fleet shared by every plane: one clock, and `POST /_sim/fleet/groups/<name>` on any plane
    configures the group for all of them."""
    groups = tuple(GroupSpec(g.name, max(1, int(g.size * scale)), g.site_class) for g in DEFAULT_GROUPS)
    fleet = Fleet(seed=seed, groups=groups, speed=speed)
    if fleet_config:
        fleet.configure(fleet_config)
    running = []
    for offset, plane in enumerate(planes):
        sim = SIMULATORS[plane](seed=seed, fleet=fleet, credentials=demo_credentials(seed, plane))
        running.append(start(sim, host, port_base + offset if port_base else 0))
    return running


@app.command()
def serve(
    seed: int = typer.Option(7, "--seed", help="Seeds every random choice: same seed, same run"),
    plane: list[str] = typer.Option(list(SIMULATORS), "--plane", help="Planes to run (repeatable)"),
    host: str = typer.Option("127.0.0.1", "--host"),
    port_base: int = typer.Option(9100, "--port-base", help="First port; planes take consecutive ports (0: any free)"),
    speed: float = typer.Option(60.0, "--speed", help="Simulated seconds per real second"),
    scale: float = typer.Option(1.0, "--scale", help="Multiply every ring group's device count"),
    throttle_rate: float = typer.Option(0.0, "--throttle-rate", help="Share of requests answered 429 + Retry-After"),
    unavailable_rate: float = typer.Option(0.0, "--unavailable-rate", help="Share of requests answered 503"),
    fleet_file: Path | None = typer.Option(
        None,
        "--fleet-file",
        help='Ring groups as JSON: {"groups": {"FG-PILOT": {"size": 200, "success_rate": 0.95, '
        '"error_codes": {"1603": 0.7, "0x87D1041C": 0.3}, "latency_s": 60, "site_mix": {"online": 0.9, '
        '"intermittent": 0.1}, "offline": {"intermittent": 0.2}}}}',
    ),
    connections_file: Path | None = typer.Option(
        None, "--connections-file", help="Write base URLs and credentials here (JSON, 0600)"
    ),
) -> None:
    """Serve the simulators until Ctrl-C."""
    unknown = sorted(set(plane) - set(SIMULATORS))
    if unknown:
        raise typer.BadParameter(f"unknown plane(s) {', '.join(unknown)}; choose from {', '.join(SIMULATORS)}")
    fleet_config = None
    if fleet_file is not None:
        try:
            fleet_config = json.loads(fleet_file.read_text())
            Fleet(seed=seed).configure(fleet_config)  # validate before any port is taken
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise typer.BadParameter(f"{fleet_file}: {exc}", param_hint="--fleet-file") from exc
    running = start_all(
        seed=seed,
        planes=plane,
        host=host,
        port_base=port_base,
        speed=speed,
        scale=scale,
        fleet_config=fleet_config,
    )
    for handle in running:
        if throttle_rate:
            handle.app.faults.add("throttle", times=-1, rate=throttle_rate)
        if unavailable_rate:
            handle.app.faults.add("unavailable", times=-1, rate=unavailable_rate)
        typer.echo(f"{handle.app.plane:10} {handle.url}  (faults: POST {handle.url}/_sim/faults)")
    connections = [connection(h.app) for h in running]
    if connections_file:
        connections_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = connections_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(connections, indent=2))
        tmp.chmod(0o600)
        os.replace(tmp, connections_file)
        typer.echo(f"connections written to {connections_file}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    for handle in running:
        handle.stop()


@app.command()
def planes() -> None:
    """List the simulated planes, the fault kinds and the default ring groups."""
    for name, cls in SIMULATORS.items():
        doc = (sys.modules[cls.__module__].__doc__ or name).strip().splitlines()[0]
        typer.echo(f"{name:10} {doc}")
    typer.echo(f"faults: {', '.join(FAULT_KINDS)}")
    typer.echo("groups: " + ", ".join(f"{g.name} ({g.size}, {g.site_class})" for g in DEFAULT_GROUPS))


if __name__ == "__main__":
    app()
