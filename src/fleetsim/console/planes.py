"""Which console each plane without its own `console_*` methods uses (SCCM and Jamf have theirs)."""

from __future__ import annotations

from fleetsim.console import PlaneConsole
from fleetsim.console.awx import AwxConsole
from fleetsim.console.intune import IntuneConsole
from fleetsim.console.landscape import LandscapeConsole

CONSOLES: dict[str, type[PlaneConsole]] = {
    "intune": IntuneConsole,
    "landscape": LandscapeConsole,
    "ansible": AwxConsole,
}
