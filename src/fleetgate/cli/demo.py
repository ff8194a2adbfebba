"""The demo's moving parts beyond the engine tick: once a demo rollout has passed Lab on Jamf, an
administrator "copies" its policy to a group no intent targets (through the simulator's console, as
one would in the Jamf console), and reconciliation passes run every half minute, so `make run` shows
a drift item for CAB within minutes. Demo only: started by `fleetgate up --demo`'s ticker."""

from __future__ import annotations

from pathlib import Path

import httpx

UNTARGETED_GROUP = "FG-PILOT"  # a standard ring group of the simulated fleet that no demo intent targets


def plant_drift_once(marker: Path) -> bool:
    """Copy a passed Lab assignment on the Jamf simulator to an untargeted group, once."""
    if marker.exists():
        return True
    from fleetgate.rollouts.models import PlaneTarget
    from fleetgate.rollouts.states import RingState

    target = (
        PlaneTarget.objects.filter(connector__kind="jamf", ring_run__ring="lab", ring_run__state=RingState.PASSED)
        .select_related("connector")
        .first()
    )
    if target is None:
        return False
    base = target.connector.base_url.rstrip("/")
    with httpx.Client(base_url=base, timeout=5.0) as http:
        rows = http.get("/_sim/console/assignments").raise_for_status().json()["assignments"]
        row = next((r for r in rows if r.get("group") == target.group), None)
        if row is None:
            return False
        http.post(
            "/_sim/console/assignments", json={"copy_of": row["id"], "group": UNTARGETED_GROUP}
        ).raise_for_status()
    marker.write_text(f"copied {row['id']} from {target.group} to {UNTARGETED_GROUP}\n")
    return True


def reconcile_all() -> None:
    from fleetgate.reconcile.services import passes

    passes.run(actor=passes.RECONCILER)
