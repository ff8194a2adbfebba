"""Each hand-written read representation equals DRF's walk over the same declared fields (issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from fleetgate.audit.api import LedgerEventSerializer
from fleetgate.audit.models import LedgerEvent
from fleetgate.catalog import queries as catalog
from fleetgate.catalog.api import ApplicationSerializer
from fleetgate.core.roles import Role
from fleetgate.intents import dashboard
from fleetgate.intents import queries as intents
from fleetgate.intents.api import IntentSerializer
from fleetgate.intents.api_dashboard import DashboardSerializer
from fleetgate.intents.models import DeploymentIntent
from tests.factories import World, ring_plan

pytestmark = pytest.mark.django_db


def both(serializer: object, row: object) -> tuple[object, object]:
    return serializer.represent(row), serializer.drf_representation(row)  # type: ignore[attr-defined]


def test_intents_of_every_shape_read_as_drf_writes_them() -> None:
    world = World.build()
    steps = ring_plan("lab", "canary")
    steps[0]["target_groups"] = {"intune": "3f2b6c1e-8a4d-4b7e-9c1a-2d5e6f708192", "jamf": "Canary Macs"}
    steps[1]["not_before"] = "2026-12-24T08:00:00+00:00"
    world.intent(ring_plan=steps, change_reason="Zoë's fix — 日本語")
    world.intent(rollback_plan={"strategy": "uninstall"})
    plain = world.intent()
    DeploymentIntent.objects.filter(pk=plain.pk).update(  # as stored by an older release, and submitted
        rollback_plan={"strategy": "reinstall_previous", "rollback_version": None},
        submitted_at=datetime(2026, 12, 2, 9, 30, 1, 5, tzinfo=UTC),
        state="submitted",
    )
    for role in (Role.PUBLISHER, Role.AUDITOR):
        serializer = IntentSerializer(context={"actor": world.actors[role]})
        rows = list(intents.intents(world.actors[role]))
        assert len(rows) == 3
        for row in rows:
            fast, drf = both(serializer, row)
            assert fast == drf
            assert list(fast) == list(drf)  # the same keys in the same order
        # what the API reads: the related rows' names as columns of the intent's own row
        by_id = {row.pk: row for row in rows}
        for row in intents.intent_reads(world.actors[role]):
            assert serializer.represent(row) == serializer.drf_representation(by_id[row.pk])


def test_applications_read_as_drf_writes_them() -> None:
    world = World.build()
    admin = world.actors[Role.PLATFORM_ADMIN]
    serializer = ApplicationSerializer()
    for row in catalog.applications(admin):
        fast, drf = both(serializer, row)
        assert fast == drf
        assert list(fast) == list(drf)
    bare = type(world.app).objects.get(pk=world.app.pk)  # no version_count annotation: DRF's default 0
    assert both(serializer, bare)[0] == both(serializer, bare)[1]


def test_ledger_events_read_as_drf_writes_them() -> None:
    world = World.build()
    world.intent()
    serializer = LedgerEventSerializer()
    events = list(LedgerEvent.objects.order_by("sequence"))
    assert len(events) > 5
    events[0].occurred_at = timezone.now().replace(microsecond=0)  # a whole second: no fraction written
    for event in events:
        fast, drf = both(serializer, event)
        assert fast == drf
        assert list(fast) == list(drf)


def test_the_dashboard_reads_as_drf_writes_it() -> None:
    world = World.build()
    drafts = [world.intent(title=f"Draft {i} — Zoë") for i in range(3)]
    DeploymentIntent.objects.filter(pk=drafts[0].pk).update(state="in_progress")
    DeploymentIntent.objects.filter(pk=drafts[1].pk).update(state="awaiting_cab")
    for role in (Role.PUBLISHER, Role.CAB_APPROVER, Role.AUDITOR):
        summary = dashboard.summary(world.actors[role])
        fast, drf = both(DashboardSerializer(), summary)
        assert fast == drf
        assert list(fast) == list(drf)
        assert [list(item) for item in fast["awaiting_my_action"]] == [list(i) for i in drf["awaiting_my_action"]]
    publisher = dashboard.summary(world.actors[Role.PUBLISHER])
    assert [item["name"] for item in publisher["awaiting_my_action"]] == [drafts[2].name]
    assert publisher["awaiting_my_action"][0]["action"] == "submit"
    cab = dashboard.summary(world.actors[Role.CAB_APPROVER])["awaiting_my_action"]
    assert [(item["name"], item["action"]) for item in cab] == [(drafts[1].name, "review")]
    assert [item["name"] for item in publisher["in_progress"]] == [drafts[0].name]
    assert publisher["in_progress"][0]["rings"] == drafts[0].rings
    assert publisher["recent_events"]
