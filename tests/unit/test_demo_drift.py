"""The demo's planted drift: a passed Lab assignment copied on the Jamf simulator's console, once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fleetgate.cli import demo
from fleetsim.fleet import GroupSpec
from tests.fixtures.connectors.support import INTENT, LAB, artifact, connector_for, serving

GROUPS = (GroupSpec("FG-LAB", 8), GroupSpec("FG-PILOT", 20))


class _Found:
    """Stands in for the PlaneTarget query: the one passed Lab target on Jamf (or none)."""

    def __init__(self, target: Any) -> None:
        self.target = target

    def filter(self, **kwargs: Any) -> _Found:
        return self

    def select_related(self, *names: str) -> _Found:
        return self

    def first(self) -> Any:
        return self.target


class _Target:
    def __init__(self, base_url: str, group: str) -> None:
        self.connector = type("C", (), {"base_url": base_url})()
        self.group = group


def test_copies_the_lab_policy_to_an_untargeted_group_once(tmp_path: Path, monkeypatch: Any) -> None:
    from fleetgate.rollouts import models

    marker = tmp_path / "planted"
    with serving("jamf", groups=GROUPS) as srv:
        monkeypatch.setattr(models.PlaneTarget, "objects", _Found(None))
        assert not demo.plant_drift_once(marker)  # no rollout has passed Lab yet
        jamf = connector_for(srv.app)
        app = jamf.publish(artifact(tmp_path), "demo-publish")
        jamf.assign(app, LAB, INTENT, "demo-assign")
        base = f"http://{srv.server.host}:{srv.server.port}"
        monkeypatch.setattr(models.PlaneTarget, "objects", _Found(_Target(base, LAB.name)))
        assert demo.plant_drift_once(marker)
        groups = sorted(row["group"] for row in srv.app.console_assignments())
        assert groups == sorted([LAB.name, demo.UNTARGETED_GROUP])
        assert demo.plant_drift_once(marker)  # once only
        assert len(srv.app.console_assignments()) == 2
        assert marker.read_text().startswith("copied")
