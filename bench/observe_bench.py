"""observe() over a 50,000-device ring group, with paging, against the simulators over loopback.

The simulator runs in a child process, so the time and memory printed are the connector's own:
wall time of one observe(), pages read, Python peak allocation (tracemalloc) and the process's
peak RSS. Run: `.venv/bin/python bench/observe_bench.py [--devices 50000] [--planes intune sccm]`.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from fleetgate.connectors.base import Artifact, ConnectorConfig, IntentRef, RingGroup, Runtime
from fleetgate.connectors.registry import KINDS
from fleetsim.fleet import Fleet, GroupSpec
from fleetsim.planes import SIMULATORS, connection
from fleetsim.server import start

GROUP = "FG-BENCH"


def serve(plane: str, devices: int, queue: Any, stop: Any) -> None:
    fleet = Fleet(seed=42, groups=(GroupSpec(GROUP, devices),))
    running = start(SIMULATORS[plane](seed=42, fleet=fleet))
    queue.put(connection(running.app))
    stop.wait()
    running.stop()


def advance(conn: dict[str, Any], seconds: float) -> None:
    import httpx

    httpx.post(f"{conn['base_url']}/_sim/advance", json={"seconds": seconds}, timeout=10).raise_for_status()


def bench(plane: str, devices: int) -> dict[str, Any]:
    ctx = mp.get_context("fork")
    queue, stop = ctx.Queue(), ctx.Event()
    child = ctx.Process(target=serve, args=(plane, devices, queue, stop), daemon=True)
    child.start()
    try:
        conn = queue.get(timeout=30)
        config = ConnectorConfig(
            kind=plane, base_url=conn["base_url"], settings=conn["settings"], secrets=conn["secrets"], timeout=120
        )
        connector = KINDS[plane](config, Runtime(sleep=lambda s: None))
        with tempfile.NamedTemporaryFile() as payload:
            payload.write(b"x" * 1024)
            payload.flush()
            artifact = Artifact(
                "Bench App",
                "1.0.0",
                "bench.msi",
                hashlib.sha256(b"x" * 1024).hexdigest(),
                1024,
                path=payload.name,
                package_name="bench-app",
                # Intune publishes only what it can detect (connectors/intune/apps.rules)
                detection_rules=({"type": "product_code", "product_code": "{0B5E7C1A-2D3F-4A6B-8C9D-0E1F2A3B4C5D}"},),
            )
            app = connector.publish(artifact, "bench-publish")
        group = RingGroup(GROUP)
        connector.assign(app, group, IntentRef("bench", "bench", "global"), "bench-assign")
        advance(conn, 30 * 86400)
        connector.observe(app, group)  # warm the simulator's listing cache; measure the second call
        tracemalloc.start()
        start = time.perf_counter()
        result = connector.observe(app, group)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return {
            "plane": plane,
            "devices": result.total,
            "installed": result.installed,
            "failed": result.failed,
            "pending": result.pending,
            "not_applicable": result.not_applicable,
            "pages": result.pages_read,
            "seconds": round(elapsed, 2),
            "devices_per_second": round(result.total / elapsed),
            "peak_python_mib": round(peak / 2**20, 1),
        }
    finally:
        stop.set()
        child.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=50_000)
    parser.add_argument("--planes", nargs="+", default=["intune", "sccm", "ansible"], choices=list(SIMULATORS))
    args = parser.parse_args()
    for plane in args.planes:
        row = bench(plane, args.devices)
        print(
            f"{row['plane']:9} observe() of {row['devices']:,} devices in {row['pages']} pages: {row['seconds']} s "
            f"({row['devices_per_second']:,}/s), peak Python memory {row['peak_python_mib']} MiB; "
            f"installed {row['installed']:,}, failed {row['failed']:,}, pending {row['pending']:,}, "
            f"not applicable {row['not_applicable']:,}"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the benchmark process (connector side only): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
