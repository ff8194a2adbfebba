"""Plane kind → connector class. The only place that knows every plane."""

from __future__ import annotations

from fleetgate.connectors.ansible import AnsibleConnector
from fleetgate.connectors.base import Connector
from fleetgate.connectors.intune import IntuneConnector
from fleetgate.connectors.jamf import JamfConnector
from fleetgate.connectors.landscape import LandscapeConnector
from fleetgate.connectors.sccm import SccmConnector

KINDS: dict[str, type[Connector]] = {
    cls.kind: cls for cls in (IntuneConnector, JamfConnector, SccmConnector, LandscapeConnector, AnsibleConnector)
}
CHOICES = [(kind, cls.label) for kind, cls in KINDS.items()]
