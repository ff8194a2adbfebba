"""Where a ring goes: `target_groups` per plane are validated, each ring group carries the site
class it targets where known, and pending devices of unknown site class wait by that rule."""

from __future__ import annotations

from typing import Any

import pytest

from fleetgate.core.errors import ValidationFailed
from fleetgate.core.roles import Role
from fleetgate.intents.models import DeploymentIntent
from fleetgate.rollouts.facts import _pending_by_site
from fleetgate.rollouts.models import PlaneTarget, RingRun, Rollout
from fleetgate.rollouts.routing import count_warning, ring_site_class
from fleetgate.rollouts.services.common import ring_group
from tests.factories import World, make_connector

STEP = {"ring": "lab", "target_group": "FG-LAB", "device_count": 8}


def _rules(world: World, step: dict[str, Any]) -> set[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        world.intent(ring_plan=[{**STEP, **step}])
    return {(e.field, e.rule) for e in caught.value.errors}


def test_target_groups_name_known_planes_and_real_groups(world: World) -> None:
    assert _rules(world, {"target_groups": ["FG-LAB"]}) == {("ring_plan[0].target_groups", "type")}
    assert _rules(world, {"target_groups": {"tanium": "Lab"}}) == {
        ("ring_plan[0].target_groups.tanium", "unknown-plane")
    }
    assert _rules(world, {"target_groups": {"sccm": " "}}) == {("ring_plan[0].target_groups.sccm", "required")}
    assert _rules(world, {"target_groups": {"jamf": "x" * 201}}) == {("ring_plan[0].target_groups.jamf", "length")}
    assert _rules(world, {"site_class": "moon"}) == {("ring_plan[0].site_class", "choice")}
    make_connector(world.actors[Role.PLATFORM_ADMIN], name="mac-fleet")
    intent = world.intent(ring_plan=[{**STEP, "target_groups": {"sccm": "SMS00042", "mac-fleet": "Lab Macs"}}])
    assert intent.ring_plan[0]["target_groups"] == {"sccm": "SMS00042", "mac-fleet": "Lab Macs"}


def _intent(classes: list[str], **step: Any) -> DeploymentIntent:
    return DeploymentIntent(target_site_classes=classes, ring_plan=[{**STEP, **step}])


def test_the_ring_site_class_is_the_steps_or_the_intents_only_one() -> None:
    assert ring_site_class(_intent(["online", "air_gapped"], site_class="intermittent"), 0) == "intermittent"
    assert ring_site_class(_intent(["air_gapped"]), 0) == "air_gapped"
    assert ring_site_class(_intent(["online", "air_gapped"]), 0) == ""
    assert ring_site_class(_intent(["online"]), 5) == "online"  # past the plan: the intent's only class


def test_ring_group_carries_the_site_class_to_the_plane() -> None:
    intent = _intent(["online", "intermittent"], site_class="intermittent")
    run = RingRun(rollout=Rollout(intent=intent), ring="lab", position=0)
    group = ring_group(PlaneTarget(group="FG-LAB"), run)
    assert (group.name, group.ring, group.site_class) == ("FG-LAB", "lab", "intermittent")


def _target(pending: int, sites: dict[str, int]) -> PlaneTarget:
    return PlaneTarget(counts={"pending": pending}, site_classes=sites)


def test_pending_devices_of_unknown_site_class_wait_for_the_ring_class_else_the_slowest() -> None:
    intent = _intent(["online", "air_gapped"])
    targets = [_target(5, {"online": 2}), _target(3, {})]
    assert _pending_by_site(targets, intent) == {"online": 2, "air_gapped": 6}
    assert _pending_by_site(targets, intent, "online") == {"online": 8}
    assert _pending_by_site([_target(2, {"": 1, "intermittent": 1})], intent) == {"intermittent": 1, "air_gapped": 1}


def test_count_warning_beyond_ten_percent() -> None:
    assert count_warning(100, 110, "sccm", "G") == ""
    assert count_warning(100, 111, "sccm", "G") == "planned 100 devices; sccm reports 111 in G"
    assert count_warning(100, 89, "sccm", "G") == "planned 100 devices; sccm reports 89 in G"
    assert count_warning(100, None, "sccm", "G") == ""
