"""Every simulated plane, and the connector settings that reach it (tests, `fleetsim serve`, demo)."""

from __future__ import annotations

from typing import Any

from fleetsim.awx import AwxSim
from fleetsim.intune import IntuneSim
from fleetsim.jamf import JamfSim
from fleetsim.landscape import LandscapeSim
from fleetsim.sccm import SccmSim
from fleetsim.server import SimApp

SIMULATORS: dict[str, type[SimApp]] = {
    "intune": IntuneSim,
    "jamf": JamfSim,
    "sccm": SccmSim,
    "landscape": LandscapeSim,
    "ansible": AwxSim,
}


def connection(sim: SimApp) -> dict[str, Any]:
    """What a Fleetgate connector instance needs to talk to `sim`: base URL, settings, secrets."""
    creds = sim.credentials
    settings: dict[str, Any]
    if isinstance(sim, IntuneSim):
        settings = {"tenant_id": sim.tenant, "client_id": creds.client_id, "authority": sim.base_url}
        secrets = {"client_secret": creds.client_secret}
    elif isinstance(sim, JamfSim):
        settings, secrets = {"client_id": creds.client_id}, {"client_secret": creds.client_secret}
    elif isinstance(sim, SccmSim):
        settings = {
            "username": f"{sim.domain}\\{creds.client_id}",
            "content_share": sim.content_share,
            "content_mount": str(sim.content_dir),
        }
        secrets = {"password": creds.client_secret}
    elif isinstance(sim, LandscapeSim):
        settings = {
            "access_key_id": creds.client_id,
            "distribution": sim.distribution,
            "series": sim.series,
            "pocket": sim.pocket,
        }
        secrets = {"secret_key": creds.client_secret, "upload_key": sim.uploader_secret}
    else:
        settings, secrets = {"inventory_id": 1}, {"token": creds.client_secret}
    return {"kind": _kind(sim), "base_url": sim.base_url, "settings": settings, "secrets": secrets}


def _kind(sim: SimApp) -> str:
    return next(kind for kind, cls in SIMULATORS.items() if isinstance(sim, cls))
