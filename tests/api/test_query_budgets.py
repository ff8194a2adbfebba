"""Query budgets per endpoint (NetBox style): a list costs a fixed number of queries whatever its
length, and each endpoint has an explicit baseline, so an N+1 or an extra lookup shows up here.

Each list is read with a few rows, then with several times as many; both counts must equal the
endpoint's budget. The counts include authentication (a bearer token: the token, its user and their role bindings are
one query), scoping and pagination.
The budget is the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from fleetgate.api import filters
from fleetgate.approvals import services as approvals
from fleetgate.assistant import services as assistant
from fleetgate.assistant.models import Feature, Interaction, ProviderConfig
from fleetgate.catalog import services as catalog
from fleetgate.catalog.models import Artifact
from fleetgate.core.roles import Role
from fleetgate.reconcile.models import Drift
from fleetgate.rollouts.models import PlaneTarget, RingRun, Rollout
from fleetgate.rollouts.services import calendars, incidents
from fleetgate.worker.models import JobRun
from tests.api.base import client_for
from tests.factories import (
    World,
    intent_data,
    make_application,
    make_connector,
    make_user,
    make_version,
    sealed_intent,
    unique,
    upload,
)

PROVIDER = {"kind": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m", "api_key": "sk-topsecret-1"}
WINDOW = {
    "kind": "window",
    "boundary": "acme",
    "timezone": "Europe/Berlin",
    "starts_local": "2026-12-05T22:00",
    "duration_minutes": 240,
    "rrule": "FREQ=WEEKLY;BYDAY=SA",
}

R = Role
_n = itertools.count(1)


def count_queries(client: APIClient, url: str) -> tuple[int, Any]:
    """The queries of one read (after a first one, so what is done once per token is not counted)."""
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries), response.json()


def rows_of(body: Any) -> int:
    return len(body["results"] if isinstance(body, dict) and "results" in body else body)


# --- seeders: add n rows of one kind, through the services where that is cheap ---------------------


def _intents(w: World, n: int) -> None:
    for _ in range(n):
        w.intent()


def _applications(w: World, n: int) -> None:
    for _ in range(n):
        make_application(w.actors[R.PLATFORM_ADMIN])


def _versions(w: World, n: int) -> None:
    for _ in range(n):
        make_version(w.actors[R.PACKAGING_ENGINEER], w.app, f"3.{next(_n)}.0")


def _artifacts(w: World, n: int) -> None:
    version = w.app.versions.get(version="1.0.0")
    for _ in range(n):
        catalog.register_artifact(
            actor=w.actors[R.PACKAGING_ENGINEER],
            version_id=version.pk,
            platform="windows",
            artifact_format="msi",
            filename="app.msi",
            upload=upload(os.urandom(512)),
        )


def _packs(w: World, n: int) -> None:
    for _ in range(n):
        sealed_intent(w)


def _cab_requests(w: World, n: int) -> None:
    for _ in range(n):  # one application has one active change: each request is another world's
        other = World.build()
        sealed = sealed_intent(other, high_risk=True)
        approvals.submit(actor=other.publisher, intent_id=sealed.intent.pk)


def _exceptions(w: World, n: int) -> None:
    for _ in range(n):  # an exception names a finding of the artifact's scan: one per artifact
        sealed = sealed_intent(w)
        body = {
            "kind": "vulnerability",
            "artifact": str(sealed.artifact.pk),
            "subject": "CVE-2026-0001",
            "justification": "Not reachable: the component is never loaded.",
            "compensating_controls": "Feature flag off by policy.",
            "owner": w.users[R.AUDITOR].username,
            "expires_in_days": 30,
        }
        approvals.request_exception(actor=w.actors[R.PACKAGING_ENGINEER], data=body)


def _rollouts(w: World, n: int) -> None:
    connector = make_connector(w.actors[R.PLATFORM_ADMIN])
    version = w.app.versions.get(version="1.0.0")
    artifact = catalog.register_artifact(
        actor=w.actors[R.PACKAGING_ENGINEER],
        version_id=version.pk,
        platform="windows",
        artifact_format="msi",
        filename="app.msi",
        upload=upload(os.urandom(512)),
    )
    for _ in range(n):
        rollout = Rollout.objects.create(intent=w.intent(), current_ring="lab")
        for position, ring in enumerate(("lab", "canary")):
            run = RingRun.objects.create(rollout=rollout, ring=ring, position=position)
            PlaneTarget.objects.create(
                ring_run=run, connector=connector, artifact=artifact, group=f"G-{ring}", planned_devices=10
            )


def _jobs(w: World, n: int) -> None:
    intent = w.intent()
    for _ in range(n):
        JobRun.objects.create(
            task="rollout.advance", task_id=f"job-{next(_n)}", correlation_id="c", intent_id=intent.pk
        )


def _incidents(w: World, n: int) -> None:
    intent = w.intent()
    for _ in range(n):
        incidents.create(
            actor=w.actors[R.ENDPOINT_OPS], data={"intent": str(intent.pk), "priority": "P3", "title": "slow logon"}
        )


def _users(w: World, n: int) -> None:
    for _ in range(n):
        make_user(R.PUBLISHER)


def _connectors(w: World, n: int) -> None:
    for _ in range(n):
        make_connector(w.actors[R.PLATFORM_ADMIN])


def _evidence(w: World, n: int) -> None:
    for _ in range(n):  # six items per sealed intent
        sealed_intent(w)


def _windows(w: World, n: int) -> None:
    for _ in range(n):
        calendars.create_window(actor=w.actors[R.PLATFORM_ADMIN], data={**WINDOW, "name": unique("window")})


def _providers(w: World, n: int) -> None:
    for _ in range(n):
        row = assistant.create_provider(actor=w.actors[R.PLATFORM_ADMIN], data={**PROVIDER, "name": unique("llm")})
        Interaction.objects.create(feature=Feature.values[0], provider=row.name, provider_kind=row.kind, tokens_in=7)


def _drift(w: World, n: int) -> None:
    intent = w.intent()
    connector = make_connector(w.actors[R.PLATFORM_ADMIN])
    for _ in range(n):
        device = f"dev-{next(_n)}"
        Drift.objects.create(
            fingerprint=f"{intent.pk}:{connector.pk}:FG-LAB:missing:{device}",
            scope_key=f"group:{connector.pk}:FG-LAB",
            intent=intent,
            connector=connector,
            kind="missing",
            severity="low",
            plane="jamf",
            ring="lab",
            group="FG-LAB",
            device=device,
            device_name=f"WS-{device}",
            expected={"version": "1.0.0", "state": "installed"},
            observed={"state": "failed"},
            summary="lacks the app",
            boundary=intent.target_boundary,
            business_unit=intent.target_business_unit,
            route="endpoint_ops",
        )


@dataclass(frozen=True)
class ListCase:
    name: str
    url: str
    seed: Callable[[World, int], None]
    budget: int
    few: int = 2
    many: int = 20
    paged: bool = True  # many > page size would cut the rows: read with page_size=many
    reader: Role = R.AUDITOR
    detail: int | None = None  # the budget of reading one of the rows, where the endpoint has one
    key: str = "id"

    def __str__(self) -> str:
        return self.name


LISTS: list[ListCase] = [
    ListCase("intents", "/api/v1/intents/", _intents, 8, detail=8),
    ListCase("applications", "/api/v1/applications/", _applications, 8, paged=False, detail=8),
    ListCase("versions", "/api/v1/versions/", _versions, 9, detail=9),
    ListCase("artifacts", "/api/v1/artifacts/", _artifacts, 8, detail=8),
    ListCase("evidence-packs", "/api/v1/evidence-packs/", _packs, 8, few=1, many=3, detail=8),
    ListCase("cab-requests", "/api/v1/cab-requests/", _cab_requests, 9, few=1, many=3, detail=9),
    ListCase("exceptions", "/api/v1/exceptions/", _exceptions, 10, few=1, many=3, detail=10),
    ListCase("ledger", "/api/v1/ledger/", _intents, 9),  # + the subjects' names, one query per subject type
    ListCase("rollouts", "/api/v1/rollouts/", _rollouts, 13, many=8, detail=13),
    ListCase("jobs", "/api/v1/jobs/", _jobs, 8, detail=8),
    ListCase("incidents", "/api/v1/incidents/", _incidents, 8, detail=8),
    ListCase("drift", "/api/v1/drift/", _drift, 8, detail=8),
    ListCase("dashboard", "/api/v1/dashboard/", _intents, 10, paged=False),
    ListCase("users", "/api/v1/users/", _users, 9, paged=False, reader=R.PLATFORM_ADMIN, detail=9),
    ListCase("connectors", "/api/v1/connectors/", _connectors, 8, detail=8),
    ListCase("evidence", "/api/v1/evidence/", _evidence, 8, few=1, many=3, detail=8),
    ListCase("maintenance-windows", "/api/v1/maintenance-windows/", _windows, 8),
    ListCase("assistant-providers", "/api/v1/assistant/providers/", _providers, 8, paged=False, key="name", detail=8),
]


def _read(case: ListCase, rows: int) -> str:
    return f"{case.url}?page_size={rows}" if case.paged else case.url


@pytest.mark.django_db
@pytest.mark.parametrize("case", LISTS, ids=str)
def test_a_list_costs_the_same_queries_whatever_its_length(case: ListCase) -> None:
    world = World.build()
    client = client_for(world.users[case.reader])
    case.seed(world, case.few)
    few, _ = count_queries(client, _read(case, case.few))
    case.seed(world, case.many - case.few)
    many, body = count_queries(client, _read(case, case.many))
    if case.name != "dashboard":
        assert rows_of(body) >= case.many, "the reader must see the rows, or the count proves nothing"
    assert (few, many) == (case.budget, case.budget), (
        f"{case.name}: {few} queries for {case.few} rows, {many} for {case.many}"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in LISTS if c.detail is not None], ids=str)
def test_reading_one_row_has_a_budget_too(case: ListCase) -> None:
    world = World.build()
    client = client_for(world.users[case.reader])
    case.seed(world, case.few)
    _, body = count_queries(client, _read(case, case.few))
    first = (body["results"] if isinstance(body, dict) else body)[0]
    queries, _ = count_queries(client, f"{case.url}{first[case.key]}/")
    assert queries == case.detail, f"{case.name}: {queries} queries to read one"


@pytest.mark.django_db
def test_providers_list_sums_todays_tokens_in_its_one_query() -> None:
    world = World.build()
    _providers(world, 2)
    first = ProviderConfig.objects.order_by("name").first()
    assert first is not None
    yesterday = timezone.now() - timedelta(days=1, hours=1)
    Interaction.objects.create(feature=Feature.values[0], provider=first.name, provider_kind="openai", tokens_out=3)
    Interaction.objects.create(
        feature=Feature.values[0], provider=first.name, provider_kind="openai", tokens_in=100, created_at=yesterday
    )
    client = client_for(world.users[R.AUDITOR])
    listed = {row["name"]: row["tokens_used_today"] for row in client.get("/api/v1/assistant/providers/").json()}
    assert sorted(listed.values()) == [7, 10]
    assert listed[first.name] == 10
    one = client.get(f"/api/v1/assistant/providers/{first.name}/").json()
    assert one["tokens_used_today"] == 10


@pytest.mark.django_db
def test_a_view_with_filterset_fields_builds_its_filter_class_once() -> None:
    """django-filter makes a class per request from `filterset_fields`; each one stayed cached before."""
    world = World.build()
    client = client_for(world.users[R.PLATFORM_ADMIN])
    urls = ["/api/v1/jobs/", "/api/v1/users/", "/api/v1/jobs/?status=queued", "/api/v1/users/?is_active=true"]
    for url in urls:
        assert client.get(url).status_code == 200
    classes = len(filters._HARDENED)
    for _ in range(3):
        for url in urls:
            assert client.get(url).status_code == 200
    assert len(filters._HARDENED) == classes
    refused = client.get("/api/v1/users/?is_active=junk")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "is_active"


@pytest.mark.django_db
def test_a_write_to_one_row_does_not_build_the_collection_queryset_to_check_its_id(monkeypatch: Any) -> None:
    """The id check (a UUID where ids are UUIDs) needs the view's model only; finding it built the annotated
    list queryset on every detail request, a write's included (issue 16). A malformed id is still a 404."""
    from fleetgate.intents.api import IntentViewSet

    world = World.build()
    client = client_for(world.users[R.PUBLISHER])
    intent = world.intent()
    built: list[str] = []
    original = IntentViewSet.get_queryset
    monkeypatch.setattr(IntentViewSet, "get_queryset", lambda view: built.append(view.action) or original(view))
    url = f"/api/v1/intents/{intent.pk}/"
    for title in ("first", "second"):
        etag = client.get(url).headers["ETag"]
        built.clear()
        assert client.patch(url, {"title": title}, format="json", HTTP_IF_MATCH=etag).status_code == 200
        if title == "second":
            assert built == []
    refused = client.patch("/api/v1/intents/not-a-uuid/", {"title": "x"}, format="json", HTTP_IF_MATCH=etag)
    assert refused.status_code == 404
    assert refused.json()["errors"][0]["field"] == "pk"


@pytest.mark.django_db
def test_a_create_reads_its_application_and_version_in_one_statement_and_not_the_publisher() -> None:
    """The version is read with its application; the publisher is the signed-in user, whose id and
    username the request already has (issue 16). The answer still names the publisher."""
    world = World.build()
    client = client_for(world.users[R.PUBLISHER])
    body = intent_data(world.app)
    body["application"] = str(body["application"])
    with CaptureQueriesContext(connection) as ctx:
        created = client.post("/api/v1/intents/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["publisher"] == world.users[R.PUBLISHER].username
    statements = [q["sql"] for q in ctx.captured_queries]
    catalog = [sql for sql in statements if '"catalog_application"' in sql]
    assert len(catalog) == 1
    assert 'FROM "catalog_applicationversion" INNER JOIN "catalog_application"' in catalog[0]
    assert [sql for sql in statements if 'FROM "auth_user"' in sql] == []


@pytest.mark.django_db
def test_the_exceptions_list_names_what_each_covers_within_its_budget() -> None:
    """The names (application, version, artifact, finding, intent) come with the rows, not from a read per row."""
    world = World.build()
    _exceptions(world, 3)
    queries, body = count_queries(client_for(world.users[R.AUDITOR]), "/api/v1/exceptions/?page_size=3")
    assert queries == 10
    assert rows_of(body) == 3
    for row in body["results"]:
        artifact = Artifact.objects.select_related("version__application").get(pk=row["artifact"])
        version, app = artifact.version, artifact.version.application
        covers = row["covers"]
        assert covers["application"] == {"id": str(app.pk), "name": app.name}
        assert covers["version"] == {"id": str(version.pk), "name": version.version}
        assert (covers["artifact"]["id"], covers["artifact"]["filename"]) == (str(artifact.pk), artifact.filename)
        assert covers["intent"] is None
        assert (covers["finding"]["id"], covers["finding"]["severity"]) == ("CVE-2026-0001", "Medium")
