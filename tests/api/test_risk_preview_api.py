"""The risk preview over HTTP (what the assess form shows before anyone declares): every role reads
it, nothing is written, derived factors come with where they came from, and bad input is a problem."""

from __future__ import annotations

from typing import Any

import pytest

from fleetgate.audit.models import LedgerEvent
from fleetgate.core.roles import Role
from fleetgate.risk.models import RiskAssessment
from tests.api.base import ALL_ROLES, Endpoint, ResourceAccessTests, client_for
from tests.api.test_read_scope import _world
from tests.factories import World
from tests.fixtures.evidence.world import build

R = Role


def _intent(world: World) -> Any:
    def make() -> Any:
        ew = build(world)
        ew.add_all()
        return ew.intent

    return world.once("preview-intent", make)


def _intent_artifact(intent: Any) -> str:
    return str(intent.version.artifacts.order_by("created_at").first().pk)


class TestRiskPreviewAccess(ResourceAccessTests):
    endpoints = [
        Endpoint("GET", lambda w: f"/api/v1/risk-assessments/preview/?intent={_intent(w).pk}", ALL_ROLES),
    ]


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    return dict(response.json())


@pytest.mark.django_db
def test_the_preview_derives_what_an_assessment_would_and_stores_nothing(world: World) -> None:
    intent = _intent(world)
    client = client_for(world.users[R.PACKAGING_ENGINEER])
    before = (LedgerEvent.objects.count(), RiskAssessment.objects.count())
    body = client.get(f"/api/v1/risk-assessments/preview/?intent={intent.pk}")
    assert body.status_code == 200, body.content
    data = body.json()
    assert (LedgerEvent.objects.count(), RiskAssessment.objects.count()) == before
    assert data["rubric_version"] == "1.0"
    assert set(data["derived"]) == {"supply_chain_trust", "sbom_vulnerability", "blast_radius", "history"}
    assert set(data["declared"]) == {"privilege_impact", "exploitability", "data_access", "operational_complexity"}
    assert data["derived"]["sbom_vulnerability"] == {
        "option": "low_medium_only",
        "value": "0.3",
        "source": "derived",
        "rationale": "1 Low/Medium finding(s), no High or Critical",
        "weight": "15",
    }
    assert data["declared"]["privilege_impact"]["options"]["user_context"] == "0.2"


@pytest.mark.django_db
def test_bad_input_is_a_problem(world: World) -> None:
    client = client_for(world.users[R.PACKAGING_ENGINEER])
    url = "/api/v1/risk-assessments/preview/"
    assert [e["field"] for e in _problem(client.get(url), 400, "validation-error")["errors"]] == ["intent"]
    assert [e["field"] for e in _problem(client.get(f"{url}?intent=x"), 400, "validation-error")["errors"]] == [
        "intent"
    ]
    intent = _intent(world)
    artifact = _problem(client.get(f"{url}?intent={intent.pk}&artifact=nope"), 400, "validation-error")
    assert [e["field"] for e in artifact["errors"]] == ["artifact"]
    other = _problem(
        client.get(f"{url}?intent={intent.pk}&artifact=00000000-0000-0000-0000-000000000000"), 400, "validation-error"
    )
    assert [(e["field"], e["rule"]) for e in other["errors"]] == [("artifact", "intent-version")]
    _problem(client.get(f"{url}?intent=00000000-0000-0000-0000-000000000000"), 404, "not-found")
    unscanned = build(world)  # a second artifact of the version, with no evidence yet: nothing to derive from
    which = _problem(client.get(f"{url}?intent={unscanned.intent.pk}"), 400, "validation-error")
    assert [(e["field"], e["rule"]) for e in which["errors"]] == [("artifact", "intent-version")]
    no_scan = _problem(
        client.get(f"{url}?intent={unscanned.intent.pk}&artifact={unscanned.artifact.pk}"), 400, "validation-error"
    )
    assert [(e["field"], e["rule"]) for e in no_scan["errors"]] == [("artifact", "evidence-required")]
    picked = client.get(f"{url}?intent={intent.pk}&artifact={_intent_artifact(intent)}")
    assert picked.status_code == 200
    assert picked.json()["artifact"] == _intent_artifact(intent)


@pytest.mark.django_db
def test_an_intent_out_of_scope_is_not_found() -> None:
    acme, globex = _world("acme"), _world("globex")
    intent = _intent(acme)
    response = client_for(globex.users[R.PACKAGING_ENGINEER]).get(
        f"/api/v1/risk-assessments/preview/?intent={intent.pk}"
    )
    _problem(response, 404, "not-found")
