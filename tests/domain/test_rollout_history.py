"""The risk `history` factor from past rollouts and incidents of the application, and findings of
unknown severity scored like High."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from fleetgate.core.roles import Role
from fleetgate.risk import gather
from fleetgate.risk.factors import Facts, history, sbom_vulnerability
from fleetgate.rollouts.models import Incident
from fleetgate.rollouts.services import incidents
from tests.factories import World, sealed_intent

R = Role


def _facts(**kw: Any) -> Facts:
    base: dict[str, Any] = {
        "findings": [],
        "excepted_findings": [],
        "signature": "verified",
        "provenance": "verified",
        "largest_ring_devices": 80,
        "category": "productivity",
        "privileged_tooling": False,
    }
    return Facts(**{**base, **kw})


@pytest.mark.parametrize(
    ("outcomes", "other", "option"),
    [
        ({}, 0, "no_history"),
        ({"completed": 3}, 0, "no_incidents_over_99_percent_success"),
        ({"completed": 3}, 1, "minor_under_5_percent_failure_easy_rollback"),
        ({}, 2, "minor_under_5_percent_failure_easy_rollback"),
        ({"completed": 19, "halted": 1}, 0, "moderate_5_to_10_percent_failure"),
        ({"completed": 1, "halted": 1}, 0, "major_over_10_percent_failure_hard_rollback"),
        ({"rolled_back": 1}, 1, "major_over_10_percent_failure_hard_rollback"),
    ],
)
def test_history_counts_halted_rollouts_and_past_incidents(outcomes: dict[str, int], other: int, option: str) -> None:
    assert history(_facts(outcomes=outcomes, incidents=other))[0] == option


def test_an_unknown_severity_finding_scores_like_high() -> None:
    facts = _facts(findings=[{"id": "GHSA-x", "severity": "Unknown"}, {"id": "CVE-1", "severity": "Low"}])
    option, why = sbom_vulnerability(facts)
    assert option == "high_with_exception"
    assert "GHSA-x of unknown severity, counted as High" in why
    assert "without exception (sealing blocked): GHSA-x" in why
    assert sbom_vulnerability(_facts(findings=[{"id": "CVE-1", "severity": "Low"}]))[0] == "low_medium_only"


def test_old_snapshots_without_incidents_still_replay() -> None:
    stored = _facts(outcomes={"completed": 2}).as_dict()
    del stored["incidents"]
    assert history(Facts.from_dict(stored))[0] == "no_incidents_over_99_percent_success"


def test_gather_counts_the_applications_past_incidents_but_not_the_intents_own(world: World) -> None:
    first = sealed_intent(world)
    ops = world.actors[R.ENDPOINT_OPS]
    incidents.create(actor=ops, data={"intent": str(first.intent.pk), "priority": "P2", "title": "helpdesk spike"})
    incidents.create(actor=ops, data={"intent": str(first.intent.pk), "priority": "P4", "title": "cosmetic"})
    second = sealed_intent(world)
    facts = gather.facts(second.intent, second.artifact, timezone.now())
    assert (facts.security_incidents, facts.incidents) == (0, 1)  # P4 is only recorded
    assert history(facts)[0] == "minor_under_5_percent_failure_easy_rollback"
    own = gather.facts(first.intent, first.artifact, timezone.now())
    assert own.incidents == 0  # an intent's own incidents are not its history
    incidents.create(
        actor=ops,
        data={"artifact": str(first.artifact.pk), "priority": "P3", "title": "CVE exploited", "security": True},
    )
    assert Incident.objects.filter(security=True).count() == 1
    facts = gather.facts(second.intent, second.artifact, timezone.now())
    assert history(facts) == ("prior_security_incident", "1 prior security incident(s)")
