"""Races only PostgreSQL can show: two reconciliation passes at the same moment record each drift
once and remediate once (the attempt is claimed under a row lock before the plane is called)."""

from __future__ import annotations

import pytest

from fleetgate.audit.models import LedgerEvent
from fleetgate.audit.verify import verify_chain
from fleetgate.core.roles import Role
from fleetgate.reconcile.models import Drift
from fleetgate.reconcile.services import passes
from fleetgate.rollouts import clock as clocks
from tests.domain.test_concurrency import _in_threads
from tests.domain.test_reconcile import Setup, _plane
from tests.factories import World

pytestmark = [pytest.mark.usefixtures("no_waiting"), pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("kind", ["sccm", "jamf"])
def test_concurrent_passes_never_remediate_twice(clock: clocks.FrozenClock, kind: str) -> None:
    srv = _plane(kind)
    try:
        world = World.build()
        setup = Setup(world, srv, clock)
        setup.console("POST", "devices/uninstalled", group="FG-LAB", count=2)
        before = setup.assigns()
        ops = world.actors[Role.ENDPOINT_OPS]
        results = _in_threads(2, lambda i: passes.run(actor=ops, intent_id=setup.intent.pk))
        assert all(isinstance(r, passes.Report) for r in results), results
        assert setup.assigns() == before + 1
        assert Drift.objects.count() == 2
        assert set(Drift.objects.values_list("attempts", flat=True)) == {1}
        drift_events = LedgerEvent.objects.filter(subject_type="drift")
        assert drift_events.filter(action="drift.detected").count() == 2
        assert drift_events.filter(action="drift.remediation_attempted").count() == 2
        assert sum(r.remediated for r in results) == 2
        assert verify_chain().ok
    finally:
        srv.stop()
