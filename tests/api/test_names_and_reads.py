"""Names instead of ids, and the reads the console asks for: what an exception covers, ledger subjects by
name, evidence completeness before sealing, webhook edit and test send, notification read state. Every role
on every endpoint with the exact ledger row, then the problems for bad input."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleetgate.approvals import services as approvals
from fleetgate.audit.models import LedgerEvent
from fleetgate.core.roles import Role
from fleetgate.notifications import services as notifications
from fleetgate.notifications.models import Delivery, Notification, WebhookTarget
from tests.api.base import ALL_ROLES, Endpoint, ResourceAccessTests, client_for
from tests.factories import World, sealed_intent

R = Role
ADMIN = frozenset({R.PLATFORM_ADMIN})


def _target(world: World, name: str = "siem") -> WebhookTarget:
    target, _ = notifications.create_target(
        actor=world.actors[R.PLATFORM_ADMIN], name=name, url="http://127.0.0.1:9/hook", events=[]
    )
    return target


def _note(world: World) -> Notification:
    """A notification addressed to every person of the world (about a user: no scope to narrow it)."""
    return notifications.notify(
        event="cab_request.opened",
        subject_type="user",
        subject_id=world.users[R.PUBLISHER].pk,
        payload={"intent": "x"},
        recipients=[u.username for u in world.users.values()],
    )


def _artifact(world: World) -> str:
    return str(world.once("names-sealed", lambda: sealed_intent(world)).artifact.pk)


def _sealed_pair(world: World) -> tuple[str, str]:
    sealed = world.once("names-sealed", lambda: sealed_intent(world))
    return str(sealed.artifact.pk), str(sealed.intent.pk)


class TestNamesAndReadsAccess(ResourceAccessTests):
    endpoints = [
        Endpoint(
            "GET",
            lambda w: f"/api/v1/evidence/completeness/?artifact={_artifact(w)}",
            ALL_ROLES,
            label="completeness-artifact",
        ),
        Endpoint(
            "GET",
            lambda w: "/api/v1/evidence/completeness/?artifact={}&intent={}".format(*_sealed_pair(w)),
            ALL_ROLES,
            label="completeness-intent",
        ),
        Endpoint(
            "PATCH",
            lambda w: f"/api/v1/webhooks/{_target(w).pk}/",
            ADMIN,
            body=lambda w: {"url": "https://siem.example.com/v2", "events": ["breakglass.used"]},
            ledger_action="webhook_target.updated",
            label="update-webhook",
        ),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/webhooks/{_target(w).pk}/test/",
            ADMIN,
            202,
            ledger_action="webhook_target.test_sent",
            label="test-webhook",
        ),
        Endpoint("GET", lambda w: "/api/v1/notifications/unread-count/", ALL_ROLES, label="unread-count"),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/notifications/{_note(w).pk}/read/",
            ALL_ROLES,
            ledger_action="notification.read",
            label="mark-read",
        ),
        Endpoint(
            "POST",
            lambda w: (_note(w), "/api/v1/notifications/read-all/")[1],
            ALL_ROLES,
            ledger_action="notification.all_read",
            label="mark-all-read",
        ),
    ]


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


# --- exceptions carry names -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_exception_names_its_intent_and_only_a_vulnerability_names_a_finding(world: World) -> None:
    sealed = sealed_intent(world)
    body = {
        "kind": "vulnerability",
        "artifact": str(sealed.artifact.pk),
        "intent": str(sealed.intent.pk),
        "subject": "CVE-2026-0001",
        "justification": "Not reachable: the component is never loaded.",
        "compensating_controls": "Feature flag off by policy.",
        "owner": world.users[R.AUDITOR].username,
        "expires_in_days": 30,
    }
    made = client_for(world.users[R.PACKAGING_ENGINEER]).post("/api/v1/exceptions/", body, format="json")
    assert made.status_code == 201, made.content[:300]
    covers = made.json()["covers"]
    assert covers["intent"] == {"id": str(sealed.intent.pk), "name": sealed.intent.name}
    assert covers["application"]["name"] == world.app.name
    assert covers["finding"]["component"]
    other = {**body, "kind": "unsigned_package", "subject": "detached signature"}
    approvals.request_exception(actor=world.actors[R.PACKAGING_ENGINEER], data=other)
    listed = client_for(world.users[R.AUDITOR]).get("/api/v1/exceptions/?kind=unsigned_package").json()["results"]
    assert listed[0]["covers"]["finding"] is None, "only a vulnerability exception names a finding"
    assert listed[0]["covers"]["artifact"]["filename"] == sealed.artifact.filename


# --- ledger subjects by name ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ledger_events_name_their_subjects_in_one_query_per_subject_type(world: World) -> None:
    sealed = sealed_intent(world)
    auditor = client_for(world.users[R.AUDITOR])
    rows = auditor.get("/api/v1/ledger/?page_size=200").json()["results"]
    by_type = {(r["subject_type"], r["subject_id"]): r["subject_name"] for r in rows}
    assert by_type[("intent", str(sealed.intent.pk))] == sealed.intent.name
    assert by_type[("artifact", str(sealed.artifact.pk))] == sealed.artifact.filename
    assert by_type[("evidence_pack", str(sealed.pack.pk))] == f"{sealed.intent.name} pack v1"
    assert by_type[("application", str(world.app.pk))] == world.app.name
    types = {r["subject_type"] for r in rows}
    auditor.get("/api/v1/ledger/?page_size=200")
    with CaptureQueriesContext(connection) as few:
        auditor.get("/api/v1/ledger/?page_size=200")
    for _ in range(3):
        sealed_intent(world)
    with CaptureQueriesContext(connection) as many:
        again = auditor.get("/api/v1/ledger/?page_size=200").json()["results"]
    assert len(again) > len(rows)
    assert {r["subject_type"] for r in again} == types
    assert len(many.captured_queries) == len(few.captured_queries), "names are read per type, never per row"
    one = auditor.get(f"/api/v1/ledger/{rows[0]['sequence']}/").json()
    assert one["subject_name"] == rows[0]["subject_name"]
    history = auditor.get(f"/api/v1/intents/{sealed.intent.pk}/history/").json()
    assert {e["subject_name"] for e in history} == {sealed.intent.name}, "the intent's own history names it too"


@pytest.mark.django_db
def test_a_subject_without_a_row_has_no_name_and_the_page_still_reads(world: World) -> None:
    from django.db import transaction

    from fleetgate.audit import services as audit

    with transaction.atomic():
        audit.record(actor=world.actors[R.PLATFORM_ADMIN], action="x.y", subject_type="intent", subject_id="not-a-uuid")
        audit.record(actor=world.actors[R.PLATFORM_ADMIN], action="x.z", subject_type="sign_in", subject_id="7")
    rows = client_for(world.users[R.AUDITOR]).get("/api/v1/ledger/?action=x.").json()["results"]
    assert [(r["action"], r["subject_name"]) for r in rows] == [("x.z", None), ("x.y", None)]


# --- evidence completeness --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_completeness_lists_what_is_missing_and_follows_the_evidence(world: World) -> None:
    from tests.fixtures.evidence.world import build

    ew = build(world)
    packager = client_for(world.users[R.PACKAGING_ENGINEER])
    url = f"/api/v1/evidence/completeness/?artifact={ew.artifact.pk}&intent={ew.intent.pk}"
    empty = packager.get(url).json()
    assert empty["ready"] is False
    missing = {g["kind"] for g in empty["gaps"] if g["check"] == "sections-present"}
    assert missing == {"sbom", "vulnerability_scan", "malware_scan", "signature", "install_facts"} | {
        "rollback_plan",
        "test_evidence",
    }
    states = {c["check"]: c["state"] for c in empty["checks"]}
    assert states["sections-present"] == "failed"
    assert states["risk-assessed"] == "failed"
    assert states["artifact-digest"] == "at_seal"
    ew.add_all()
    after = packager.get(url).json()
    assert {g["check"] for g in after["gaps"]} == {"risk-assessed"}
    alone = packager.get(f"/api/v1/evidence/completeness/?artifact={ew.artifact.pk}").json()
    assert alone["gaps"] == []
    assert alone["ready"] is False
    assert alone["intent"] is None
    assert {c["check"]: c["state"] for c in alone["checks"]}["risk-assessed"] == "needs_intent"
    assert LedgerEvent.objects.filter(action__startswith="evidence_pack").count() == 0


@pytest.mark.django_db
def test_completeness_problems(world: World) -> None:
    sealed = sealed_intent(world)
    packager = client_for(world.users[R.PACKAGING_ENGINEER])
    bad = _problem(packager.get("/api/v1/evidence/completeness/?artifact=nope"), 400, "validation-error")
    assert bad["errors"][0]["field"] == "artifact"
    _problem(packager.get("/api/v1/evidence/completeness/"), 400, "validation-error")
    gone = "00000000-0000-4000-8000-000000000000"
    _problem(packager.get(f"/api/v1/evidence/completeness/?artifact={gone}"), 404, "not-found")
    url = f"/api/v1/evidence/completeness/?artifact={sealed.artifact.pk}&intent={gone}"
    _problem(packager.get(url), 404, "not-found")
    other = world.intent(version="1.1.0")
    url = f"/api/v1/evidence/completeness/?artifact={sealed.artifact.pk}&intent={other.pk}"
    assert _problem(packager.get(url), 400, "validation-error")["errors"][0]["rule"] == "intent-version"


# --- webhooks: edit and send test -------------------------------------------------------------------------


@pytest.mark.django_db
def test_webhook_update_and_test_send(world: World) -> None:
    admin = client_for(world.users[R.PLATFORM_ADMIN])
    target = _target(world)
    _target(world, "other")
    changed = admin.patch(f"/api/v1/webhooks/{target.pk}/", {"name": "soc", "events": []}, format="json")
    assert changed.status_code == 200
    assert changed.json()["name"] == "soc"
    event = LedgerEvent.objects.order_by("-sequence").first()
    assert event is not None
    assert event.before is not None
    assert event.after is not None
    assert (event.before["name"], event.after["name"]) == ("siem", "soc")
    before = LedgerEvent.objects.count()
    same = admin.patch(f"/api/v1/webhooks/{target.pk}/", {"name": "soc"}, format="json")
    assert same.status_code == 200
    assert LedgerEvent.objects.count() == before, "no change, no event"
    _problem(admin.patch(f"/api/v1/webhooks/{target.pk}/", {"name": "other"}, format="json"), 409, "conflict")
    bad = _problem(
        admin.patch(f"/api/v1/webhooks/{target.pk}/", {"url": "ftp://x"}, format="json"), 400, "validation-error"
    )
    assert bad["errors"][0]["field"] == "url"
    unknown = admin.patch(f"/api/v1/webhooks/{target.pk}/", {"secret": "s" * 20}, format="json")
    assert _problem(unknown, 400, "validation-error")["errors"][0]["field"] == "secret"
    _problem(admin.patch("/api/v1/webhooks/99999/", {"name": "x"}, format="json"), 404, "not-found")
    sent = admin.post(f"/api/v1/webhooks/{target.pk}/test/")
    assert sent.status_code == 202
    assert sent.json()["event"] == "webhook.test"
    log = admin.get(f"/api/v1/webhooks/{target.pk}/deliveries/").json()
    assert [d["event"] for d in log] == ["webhook.test"]
    assert Delivery.objects.filter(target__name="other").count() == 0, "a test goes to this target alone"


# --- notification read state ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_read_state_is_per_person(world: World) -> None:
    first, second = _note(world), _note(world)
    cab = client_for(world.users[R.CAB_APPROVER])
    ops = client_for(world.users[R.ENDPOINT_OPS])
    assert cab.get("/api/v1/notifications/unread-count/").json() == {"unread": 2}
    read = cab.post(f"/api/v1/notifications/{first.pk}/read/").json()
    assert read["read"] is True
    before = LedgerEvent.objects.count()
    cab.post(f"/api/v1/notifications/{first.pk}/read/")
    assert LedgerEvent.objects.count() == before, "reading twice records once"
    unread = cab.get("/api/v1/notifications/?unread=true").json()["results"]
    assert [n["id"] for n in unread] == [second.pk]
    assert ops.get("/api/v1/notifications/unread-count/").json() == {"unread": 2}, "my read is not yours"
    assert cab.post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert cab.post("/api/v1/notifications/read-all/").json() == {"marked": 0}
    assert all(n["read"] for n in cab.get("/api/v1/notifications/").json()["results"])
    stranger = notifications.notify(event="breakglass.used", subject_type="user", subject_id=1, payload={})
    _problem(ops.post(f"/api/v1/notifications/{stranger.pk}/read/"), 404, "not-found")
    _problem(ops.post("/api/v1/notifications/abc/read/"), 404, "not-found")
    _problem(ops.get("/api/v1/notifications/?unread=maybe"), 400, "validation-error")
