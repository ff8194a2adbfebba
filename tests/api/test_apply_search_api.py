"""The intent manifest endpoint (dry run and apply, problems with lines) and global search over HTTP."""

from __future__ import annotations

from typing import Any

from fleetgate.core.roles import Role
from fleetgate.intents.models import DeploymentIntent
from tests.api.base import ALL_ROLES, CORRELATION, Endpoint, ResourceAccessTests, client_for
from tests.factories import World

R = Role
APPLY = "/api/v1/intents/apply/"


def manifest(world: World, name: str = "api-apply", extra: str = "") -> str:
    return (
        f"kind: DeploymentIntent\nname: {name}\ntitle: Applied\napplication: {world.app.name}\nversion: 1.0.0\n"
        "target: {boundary: acme, business_unit: finance, site_classes: [online]}\n"
        "ring_plan:\n  - {ring: lab, target_group: FG-LAB, device_count: 8}\n"
        f"rollback_plan: {{strategy: uninstall}}\n{extra}"
    )


class TestApplyAndSearchAccess(ResourceAccessTests):
    endpoints = [
        Endpoint(
            "POST",
            lambda w: APPLY,
            frozenset({R.PUBLISHER}),
            body=lambda w: {"manifest": manifest(w), "dry_run": True},
            label="apply-dry-run",
        ),
        Endpoint(
            "POST",
            lambda w: APPLY,
            frozenset({R.PUBLISHER}),
            body=lambda w: {"manifest": manifest(w)},
            ledger_action="intent.created",
            label="apply",
        ),
        Endpoint("GET", lambda w: "/api/v1/search/?q=App", ALL_ROLES, label="search"),
    ]


def _problem(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def test_dry_run_then_apply_over_http(world: World) -> None:
    client = client_for(world.users[R.PUBLISHER])
    dry = client.post(APPLY, {"manifest": manifest(world), "dry_run": True}, format="json").json()
    assert dry["dry_run"] is True
    [doc] = dry["documents"]
    assert (doc["action"], doc["intent_id"], doc["document"], doc["line"]) == ("create", None, 1, 1)
    assert {"field": "title", "before": None, "after": "Applied"} in doc["changes"]
    assert not DeploymentIntent.objects.exists()
    applied = client.post(APPLY, {"manifest": manifest(world)}, format="json").json()
    assert applied["documents"][0]["intent_id"] == str(DeploymentIntent.objects.get().pk)
    again = client.post(APPLY, {"manifest": manifest(world), "dry_run": True}, format="json").json()
    assert again["documents"][0]["action"] == "unchanged"


def test_malformed_yaml_and_bad_fields_are_problems_with_lines(world: World) -> None:
    client = client_for(world.users[R.PUBLISHER])
    body = _problem(client.post(APPLY, {"manifest": "name: [unclosed\n"}, format="json"))
    assert [(e["field"], e["rule"]) for e in body["errors"]] == [("manifest", "yaml")]
    assert "not valid YAML" in body["detail"]
    assert body["lines"] == {"manifest": 2}
    body = _problem(client.post(APPLY, {"manifest": manifest(world, extra="colour: red\n")}, format="json"))
    assert [(e["field"], e["rule"]) for e in body["errors"]] == [("documents[0].colour", "unknown-field")]
    assert body["lines"] == {"documents[0].colour": 10}
    body = _problem(client.post(APPLY, {"manifest": manifest(world, name="Not A Slug")}, format="json"))
    assert [(e["field"], e["rule"]) for e in body["errors"]] == [("documents[0].name", "slug")]
    assert body["lines"] == {"documents[0].name": 2}
    assert _problem(client.post(APPLY, {"manifest": 5}, format="json"))["errors"][0]["field"] == "manifest"


def test_search_groups_hits_by_kind_and_finds_the_ledger_by_correlation_id(world: World) -> None:
    publisher = client_for(world.users[R.PUBLISHER])
    publisher.post(
        APPLY, {"manifest": manifest(world, name="findable-one")}, format="json", HTTP_X_CORRELATION_ID=CORRELATION
    )
    result = client_for(world.users[R.AUDITOR]).get("/api/v1/search/", {"q": "findable"}).json()
    groups = {g["kind"]: g for g in result["groups"]}
    assert list(groups) == ["applications", "intents", "cab_requests", "components", "ledger"]
    assert [h["name"] for h in groups["intents"]["hits"]] == ["findable-one"]
    assert groups["intents"]["more"] is False
    by_id = client_for(world.users[R.AUDITOR]).get("/api/v1/search/", {"q": CORRELATION}).json()
    ledger = next(g for g in by_id["groups"] if g["kind"] == "ledger")
    assert [h["name"] for h in ledger["hits"]] == ["intent.created"]


def test_search_words_are_checked(world: World) -> None:
    client = client_for(world.users[R.AUDITOR])
    for q in ("", "x", "y" * 129):
        body = _problem(client.get("/api/v1/search/", {"q": q}))
        assert [(e["field"], e["rule"]) for e in body["errors"]] == [("q", "length")]
