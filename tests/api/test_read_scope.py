"""Reads scoped like writes: a Publisher of the acquisition (`globex`) reads nothing of the parent
company (`acme`) and vice versa; Auditor reads everything; an out-of-scope detail is a 404."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from fleetgate.approvals import services as approvals
from fleetgate.audit.models import LedgerEvent
from fleetgate.core.roles import Role
from fleetgate.identity.queries import from_user
from fleetgate.reconcile.models import Drift
from fleetgate.reconcile.services import jobs as reconcile_jobs
from fleetgate.rollouts.services import calendars, incidents
from fleetgate.rollouts.services import jobs as rollout_jobs
from tests.api.base import client_for
from tests.factories import (
    World,
    make_application,
    make_connector,
    make_token,
    make_user,
    make_version,
    sealed_intent,
)

R = Role
REASON = "P1 CVE-2026-1234 actively exploited; vendor hotfix."


def _world(boundary: str) -> World:
    users = {role: make_user(role, boundary=boundary) for role in Role}
    actors = {role: from_user(user) for role, user in users.items()}
    app = make_application(actors[R.PLATFORM_ADMIN], boundary=boundary)
    make_version(actors[R.PACKAGING_ENGINEER], app, "1.0.0")
    return World(actors=actors, app=app, users=users)


@dataclass
class Acme:
    world: World
    ids: dict[str, str]  # endpoint -> id of one acme row


def _build_acme() -> Acme:
    world = _world("acme")
    cab = sealed_intent(world, high_risk=True)
    approvals.submit(actor=world.publisher, intent_id=cab.intent.pk)
    request = cab.intent.cab_requests.get()
    decision = approvals.decide(actor=world.actors[R.CAB_APPROVER], request_id=request.pk, kind="approve")
    glass = approvals.request_breakglass(
        actor=world.publisher, intent_id=cab.intent.pk, priority="P1", reason=REASON, duration_hours=2
    )
    exception = approvals.request_exception(
        actor=world.actors[R.PACKAGING_ENGINEER],
        data={
            "kind": "vulnerability",
            "artifact": str(cab.artifact.pk),
            "subject": "CVE-2026-0001",
            "justification": "Not reachable: the component is never loaded.",
            "compensating_controls": "Feature flag off by policy.",
            "owner": world.users[R.AUDITOR].username,
            "expires_in_days": 30,
        },
    )
    incident = incidents.create(
        actor=world.actors[R.ENDPOINT_OPS], data={"intent": str(cab.intent.pk), "priority": "P2", "title": "spike"}
    )
    ops = world.actors[R.ENDPOINT_OPS]
    window = calendars.create_window(
        actor=ops,
        data={"name": "Saturday night", "kind": "window", "boundary": "acme", "starts_local": "2026-12-05T22:00"}
        | {"duration_minutes": 120},
    )
    drift = _drift(world, cab.intent)
    run = reconcile_jobs.enqueue_recorded(actor=ops, intent_id=cab.intent.pk)
    job = rollout_jobs.enqueue(actor=world.publisher, intent_id=cab.intent.pk, action="start")
    ids = {
        "applications": world.app.pk,
        "versions": world.app.versions.get().pk,
        "artifacts": cab.artifact.pk,
        "intents": cab.intent.pk,
        "evidence": cab.evidence.artifact.evidence.first().pk,
        "evidence-packs": cab.pack.pk,
        "risk-assessments": cab.assessment.pk,
        "cab-submissions": cab.intent.cab_submissions.get().pk,
        "cab-requests": request.pk,
        "cab-decisions": decision.pk,
        "exceptions": exception.pk,
        "break-glass": glass.pk,
        "incidents": incident.pk,
        "maintenance-windows": window.pk,
        "drift": drift.pk,
        "reconcile/runs": run.pk,
        "jobs": job.pk,
    }
    return Acme(world=world, ids={k: str(v) for k, v in ids.items()})


def _drift(world: World, intent: Any) -> Drift:
    """A drift record as a reconciliation pass writes it (in the intent's target scope)."""
    connector = make_connector(world.actors[R.PLATFORM_ADMIN])
    return Drift.objects.create(
        fingerprint=f"{intent.pk}:{connector.pk}:FG-LAB:missing:dev-1",
        scope_key=f"group:{connector.pk}:FG-LAB",
        intent=intent,
        connector=connector,
        kind="missing",
        severity="low",
        plane="jamf",
        ring="lab",
        group="FG-LAB",
        device="dev-1",
        summary="WS-LAB-00001 lacks the app",
        boundary=intent.target_boundary,
        business_unit=intent.target_business_unit,
        route="endpoint_ops",
    )


@pytest.fixture
def acme(db: Any) -> Acme:
    return _build_acme()


@pytest.fixture
def globex(db: Any) -> World:
    return _world("globex")


def _rows(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    body = response.json()
    return list(body["results"] if isinstance(body, dict) else body)


def _ids(client: APIClient, url: str) -> set[str]:
    return {str(row["id"]) for row in _rows(client.get(url))}


ENDPOINTS = [
    "applications",
    "versions",
    "artifacts",
    "intents",
    "evidence",
    "evidence-packs",
    "risk-assessments",
    "cab-submissions",
    "cab-requests",
    "cab-decisions",
    "exceptions",
    "break-glass",
    "incidents",
]
# What steers and watches rollouts: Endpoint Ops read these as much as Publishers do.
OPERATIONS = ["maintenance-windows", "drift", "reconcile/runs", "jobs", "incidents"]
NO_DETAIL = {"maintenance-windows"}  # a list only (no GET of one window)
READS_EVERYTHING = (R.AUDITOR, R.PLATFORM_ADMIN)


def _scope_failures(endpoint: str, acme: Acme, globex: World, roles: tuple[Role, ...] = (R.PUBLISHER,)) -> list[str]:
    url = f"/api/v1/{endpoint}/"
    row = acme.ids[endpoint]
    detail = None if endpoint in NO_DETAIL else f"{url}{row}/"
    failures = []
    for role in READS_EVERYTHING:  # granted over globex only, still reads acme
        reader = client_for(globex.users[role])
        if row not in _ids(reader, url):
            failures.append(f"{endpoint}: {role.label} (globex grant) does not see acme's row")
        if detail and reader.get(detail).status_code != 200:
            failures.append(f"{endpoint}: {role.label} cannot read the detail")
    for role in roles:
        insider, outsider = client_for(acme.world.users[role]), client_for(globex.users[role])
        if row not in _ids(insider, url):
            failures.append(f"{endpoint}: acme {role.label} does not see its own row")
        if row in _ids(outsider, url):
            failures.append(f"{endpoint}: a globex {role.label} sees acme's rows")
        if detail and (code := outsider.get(detail).status_code) != 404:
            failures.append(f"{endpoint}: out-of-scope detail answers {code} to a globex {role.label}, not 404")
    return failures


# One world for all resources (building it seals evidence: too slow to repeat per resource); every
# resource is checked and every failure named.
@pytest.mark.parametrize(
    "endpoints", [ENDPOINTS[:4], ENDPOINTS[4:8], ENDPOINTS[8:]], ids=["catalog", "evidence", "decisions"]
)
def test_lists_and_details_are_scoped(endpoints: list[str], acme: Acme, globex: World) -> None:
    failures = [f for endpoint in endpoints for f in _scope_failures(endpoint, acme, globex)]
    assert failures == []


def test_operations_are_scoped_for_publishers_and_endpoint_ops(acme: Acme, globex: World) -> None:
    roles = (R.PUBLISHER, R.ENDPOINT_OPS)
    failures = [f for endpoint in OPERATIONS for f in _scope_failures(endpoint, acme, globex, roles)]
    assert failures == []


def test_a_window_for_every_business_unit_is_read_by_each_and_one_for_a_unit_by_that_unit(acme: Acme) -> None:
    ops = acme.world.actors[R.ENDPOINT_OPS]
    hr = calendars.create_window(
        actor=ops,
        data={"name": "HR blackout", "kind": "blackout", "boundary": "acme", "business_unit": "hr"}
        | {"starts_local": "2026-12-24T00:00", "duration_minutes": 60},
    )
    finance = make_user(R.PUBLISHER, boundary="acme", business_units=["finance"])
    seen = _ids(client_for(finance), "/api/v1/maintenance-windows/")
    assert acme.ids["maintenance-windows"] in seen  # acme-wide
    assert str(hr.pk) not in seen
    assert str(hr.pk) in _ids(client_for(acme.world.users[R.PUBLISHER]), "/api/v1/maintenance-windows/")


def test_a_pass_of_everything_is_read_by_who_asked_and_who_reads_everything(acme: Acme, globex: World) -> None:
    """Only a grant over every scope asks for a pass of everything; its report names every scope's intents."""
    asker = make_user(R.ENDPOINT_OPS, boundary="*")
    everything = reconcile_jobs.enqueue_recorded(actor=from_user(asker))
    url = f"/api/v1/reconcile/runs/{everything.pk}/"
    assert client_for(asker).get(url).status_code == 200
    assert client_for(globex.users[R.AUDITOR]).get(url).status_code == 200
    assert client_for(globex.users[R.PLATFORM_ADMIN]).get(url).status_code == 200
    for scoped_ops in (globex.users[R.ENDPOINT_OPS], acme.world.users[R.ENDPOINT_OPS]):
        assert client_for(scoped_ops).get(url).status_code == 404
        # nor through the job records, where every pass is a job too
        assert client_for(scoped_ops).get(f"/api/v1/jobs/{everything.pk}/").status_code == 404
    assert client_for(asker).get(f"/api/v1/jobs/{everything.pk}/").status_code == 200


def test_search_and_components_are_scoped(acme: Acme, globex: World) -> None:
    outsider = client_for(globex.users[R.PUBLISHER])
    name = acme.world.app.name
    assert name not in {r["name"] for r in _rows(outsider.get(f"/api/v1/applications/?search={name}"))}
    assert _rows(outsider.get("/api/v1/intents/?q=Roll")) == []
    assert _rows(outsider.get("/api/v1/components/")) == []  # globex has no evidence
    assert _rows(client_for(acme.world.users[R.PUBLISHER]).get("/api/v1/components/")) != []


def test_acme_does_not_see_globex(acme: Acme, globex: World) -> None:
    own = sealed_intent(globex, target_boundary="globex")
    assert str(own.intent.pk) not in _ids(client_for(acme.world.users[R.PUBLISHER]), "/api/v1/intents/")
    assert str(own.intent.pk) in _ids(client_for(globex.users[R.PUBLISHER]), "/api/v1/intents/")


def test_dashboard_counts_differ(acme: Acme, globex: World) -> None:
    def counts(user: Any) -> int:
        response = client_for(user).get("/api/v1/dashboard/")
        assert response.status_code == 200
        body = response.json()
        subjects = {(e["subject_type"], e["subject_id"]) for e in body["recent_events"]}
        assert user is acme.world.users[R.PUBLISHER] or not any(s[1] in _uuids(acme) for s in subjects)
        return sum(body["intents_by_state"].values())

    assert counts(acme.world.users[R.PUBLISHER]) == 1
    assert counts(globex.users[R.PUBLISHER]) == 0
    assert counts(globex.users[R.AUDITOR]) == 1


def _uuids(acme: Acme) -> set[str]:
    """acme's row ids that name one row anywhere (integer ids repeat across tables: user 1, job 1)."""
    return {v for v in acme.ids.values() if not v.isdigit()}


def _acme_subjects() -> set[str]:
    return set(LedgerEvent.objects.filter(subject_type="intent").values_list("subject_id", flat=True))


def test_ledger_excludes_out_of_scope_subjects(acme: Acme, globex: World) -> None:
    acme_intents = _acme_subjects()
    assert acme_intents
    pairs: set[tuple[str, str]] = set()
    url: str | None = "/api/v1/ledger/?page_size=200"
    outsider = client_for(globex.users[R.PUBLISHER])
    while url:
        body = outsider.get(url).json()
        pairs |= {(e["subject_type"], e["subject_id"]) for e in body["results"]}
        url = body.get("next")
    seen = {subject_id for _, subject_id in pairs}
    assert acme_intents.isdisjoint(seen), "ledger shows events about acme's intents to a globex Publisher"
    assert _uuids(acme).isdisjoint(seen)
    assert ("reconcile_pass", acme.ids["reconcile/runs"]) not in pairs
    assert seen, "events about subjects without a scope (users) stay visible"
    some = LedgerEvent.objects.filter(subject_type="intent").first()
    assert some is not None
    assert outsider.get(f"/api/v1/ledger/{some.sequence}/").status_code == 404
    assert client_for(globex.users[R.AUDITOR]).get(f"/api/v1/ledger/{some.sequence}/").status_code == 200


@pytest.mark.parametrize(("role", "sees_acme"), [(R.SECURITY_REVIEWER, False), (R.AUDITOR, True)])
def test_ledger_export_is_scoped(role: Role, sees_acme: bool, acme: Acme, globex: World) -> None:
    response = client_for(globex.users[role]).get("/api/v1/ledger/export/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    lines = [json.loads(line) for line in body.splitlines()]
    subjects = {e["subject"]["id"] for e in lines}
    assert bool(_acme_subjects() & subjects) is sees_acme


def test_publisher_verifies_its_own_intents_pack(acme: Acme) -> None:
    # The publisher holds one business unit; the application spans two (the pack used to take its scope).
    publisher = make_user(R.PUBLISHER, boundary="acme", business_units=["finance"])
    pack = acme.ids["evidence-packs"]
    response = client_for(publisher).post(f"/api/v1/evidence-packs/{pack}/verify/")
    assert response.status_code == 200, response.content
    assert response.json()["ok"] is True


def test_out_of_scope_pack_verify_is_404(acme: Acme, globex: World) -> None:
    pack = acme.ids["evidence-packs"]
    assert client_for(globex.users[R.PUBLISHER]).post(f"/api/v1/evidence-packs/{pack}/verify/").status_code == 404


def test_auditor_reads_webhook_deliveries(acme: Acme) -> None:
    admin = client_for(acme.world.users[R.PLATFORM_ADMIN])
    made = admin.post("/api/v1/webhooks/", {"name": "soc", "url": "https://soc.example.com/h"}, format="json").json()
    response = client_for(acme.world.users[R.AUDITOR]).get(f"/api/v1/webhooks/{made['id']}/deliveries/")
    assert response.status_code == 200, response.content
    assert (
        client_for(acme.world.users[R.PUBLISHER]).get(f"/api/v1/webhooks/{made['id']}/deliveries/").status_code == 403
    )


def test_auditor_reads_other_users_token_metadata(acme: Acme) -> None:
    someone = acme.world.users[R.PUBLISHER]
    make_token(someone)
    response = client_for(acme.world.users[R.AUDITOR]).get("/api/v1/tokens/")
    rows = _rows(response)
    assert someone.username in {r["username"] for r in rows}
    assert all("token" not in r for r in rows), "metadata only, never a secret"
    others = _rows(client_for(acme.world.users[R.PACKAGING_ENGINEER]).get("/api/v1/tokens/"))
    assert someone.username not in {r["username"] for r in others}


def test_a_grant_on_every_boundary_reads_every_boundary(acme: Acme, globex: World) -> None:
    """A Packaging Engineer or CAB Approver granted `*` / `*` reads both companies (an unconditional
    grant once vanished when OR-ed into the filter, so such people read nothing)."""
    everywhere = make_user(R.PACKAGING_ENGINEER, boundary="*", business_units=["*"])
    own = sealed_intent(globex, target_boundary="globex")
    seen = _ids(client_for(everywhere), "/api/v1/intents/")
    assert acme.ids["intents"] in seen
    assert str(own.intent.pk) in seen
    assert _rows(client_for(everywhere).get("/api/v1/applications/")) != []
