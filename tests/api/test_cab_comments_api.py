"""CAB comment threads over HTTP: every role on every endpoint with the exact ledger row, the
mention picker's people, read scope, a fixed query budget, and the problems (unknown or
out-of-scope mention, empty body, closed thread, bad ids)."""

from __future__ import annotations

from typing import Any

import pytest

from fleetgate.approvals import services as approvals
from fleetgate.approvals.models import CabComment, CabRequest
from fleetgate.audit.models import LedgerEvent
from fleetgate.core.roles import Role
from fleetgate.notifications.models import Notification
from tests.api.base import ALL_ROLES, Endpoint, ResourceAccessTests, client_for
from tests.api.test_query_budgets import count_queries
from tests.factories import World, make_user, sealed_intent

R = Role
COMMENTERS = ALL_ROLES - {R.AUDITOR}


def _request(world: World) -> CabRequest:
    def build() -> CabRequest:
        sealed = sealed_intent(world, high_risk=True)
        approvals.submit(actor=world.publisher, intent_id=sealed.intent.pk)
        return CabRequest.objects.get(intent=sealed.intent)

    return world.once("request", build)  # type: ignore[no-any-return]


def _comment(world: World) -> CabComment:
    return approvals.add_comment(actor=world.publisher, request_id=_request(world).pk, body="Rollback tested twice.")


class TestCabCommentAccess(ResourceAccessTests):
    endpoints = [
        Endpoint("GET", lambda w: f"/api/v1/cab-comments/?request={_request(w).pk}", ALL_ROLES, label="list"),
        Endpoint("GET", lambda w: f"/api/v1/cab-comments/{_comment(w).pk}/", ALL_ROLES, label="read-one"),
        Endpoint(
            "GET", lambda w: f"/api/v1/cab-comments/mentionable/?request={_request(w).pk}", ALL_ROLES, label="people"
        ),
        Endpoint(
            "POST",
            lambda w: "/api/v1/cab-comments/",
            COMMENTERS,
            201,
            body=lambda w: {"request": str(_request(w).pk), "body": f"@{w.users[R.CAB_APPROVER].username} see p.3"},
            ledger_action="cab_comment.added",
            label="post",
        ),
    ]


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    return dict(body)


@pytest.mark.django_db
def test_a_comment_with_a_mention_is_listed_and_notifies_the_person(world: World) -> None:
    request = _request(world)
    approver = world.users[R.CAB_APPROVER].username
    client = client_for(world.users[R.PACKAGING_ENGINEER])
    posted = client.post(
        "/api/v1/cab-comments/",
        {"request": str(request.pk), "body": f"@{approver}: the SBOM is on p.2."},
        format="json",
    )
    assert posted.status_code == 201, posted.content
    assert posted.json()["mentions"] == [approver]
    rows = client_for(world.users[R.AUDITOR]).get(f"/api/v1/cab-comments/?request={request.pk}").json()["results"]
    assert [(r["author"], r["body"]) for r in rows] == [
        (world.users[R.PACKAGING_ENGINEER].username, f"@{approver}: the SBOM is on p.2.")
    ]
    mine = client_for(world.users[R.CAB_APPROVER]).get("/api/v1/notifications/?event=cab.comment_mention").json()
    assert [(n["subject_id"], n["payload"]["by"]) for n in mine["results"]] == [
        (str(request.pk), world.users[R.PACKAGING_ENGINEER].username)
    ]


@pytest.mark.django_db
def test_mentioning_an_unknown_or_out_of_scope_person_is_refused_naming_the_field(world: World) -> None:
    request = _request(world)
    outsider = make_user(R.CAB_APPROVER, boundary="globex").username
    client = client_for(world.users[R.PUBLISHER])
    before = (LedgerEvent.objects.count(), Notification.objects.count())
    body = _problem(
        client.post(
            "/api/v1/cab-comments/",
            {"request": str(request.pk), "body": f"@nobody-here and @{outsider}, please look"},
            format="json",
        ),
        400,
        "validation-error",
    )
    assert [(e["field"], e["rule"]) for e in body["errors"]] == [("body", "unknown-mention")] * 2
    assert "@nobody-here" in body["errors"][0]["message"]
    assert f"@{outsider}" in body["errors"][1]["message"]
    assert (LedgerEvent.objects.count(), Notification.objects.count()) == before
    assert not CabComment.objects.exists()


@pytest.mark.django_db
def test_bad_input_is_a_problem(world: World) -> None:
    request = _request(world)
    client = client_for(world.users[R.PUBLISHER])
    empty = _problem(
        client.post("/api/v1/cab-comments/", {"request": str(request.pk), "body": "   "}, format="json"),
        400,
        "validation-error",
    )
    assert {e["field"] for e in empty["errors"]} == {"body"}
    unknown = client.post("/api/v1/cab-comments/", {"request": str(request.pk), "body": "x", "edit": 1}, format="json")
    assert unknown.status_code == 400
    _problem(client.get("/api/v1/cab-comments/mentionable/"), 400, "validation-error")
    _problem(client.get("/api/v1/cab-comments/mentionable/?request=nope"), 400, "validation-error")
    missing = "00000000-0000-0000-0000-000000000000"
    _problem(client.get(f"/api/v1/cab-comments/mentionable/?request={missing}"), 404, "not-found")
    _problem(
        client.post("/api/v1/cab-comments/", {"request": missing, "body": "hello"}, format="json"), 404, "not-found"
    )


@pytest.mark.django_db
def test_a_rejected_request_closes_its_thread(world: World) -> None:
    request = _request(world)
    approvals.decide(actor=world.actors[R.CAB_APPROVER], request_id=request.pk, kind="reject", reason="no rollback")
    response = client_for(world.users[R.PUBLISHER]).post(
        "/api/v1/cab-comments/", {"request": str(request.pk), "body": "Why?"}, format="json"
    )
    _problem(response, 409, "invalid-transition")


@pytest.mark.django_db
def test_the_mention_picker_lists_people_who_can_read_the_request(world: World) -> None:
    request = _request(world)
    make_user(R.CAB_APPROVER, boundary="globex", username="globex-cab")
    make_user(None, username="no-roles")
    people = client_for(world.users[R.PUBLISHER]).get(f"/api/v1/cab-comments/mentionable/?request={request.pk}")
    assert people.status_code == 200
    names = {p["username"]: p["roles"] for p in people.json()}
    assert set(names) == {u.username for u in world.users.values()}
    assert names[world.users[R.CAB_APPROVER].username] == ["CAB Approver"]


@pytest.mark.django_db
def test_comments_are_read_in_scope() -> None:
    from tests.api.test_read_scope import _world

    acme, globex = _world("acme"), _world("globex")
    comment = _comment(acme)
    outsider = client_for(globex.users[R.PUBLISHER])
    assert outsider.get("/api/v1/cab-comments/").json()["results"] == []
    assert outsider.get(f"/api/v1/cab-comments/{comment.pk}/").status_code == 404
    people = outsider.get(f"/api/v1/cab-comments/mentionable/?request={comment.request_id}")
    _problem(people, 404, "not-found")
    everything = client_for(globex.users[R.AUDITOR]).get("/api/v1/cab-comments/").json()["results"]
    assert [r["id"] for r in everything] == [str(comment.pk)]


@pytest.mark.django_db
def test_a_thread_costs_the_same_queries_whatever_its_length(world: World) -> None:
    request = _request(world)
    client = client_for(world.users[R.AUDITOR])
    url = f"/api/v1/cab-comments/?request={request.pk}"
    approvals.add_comment(actor=world.publisher, request_id=request.pk, body="first")
    few, _ = count_queries(client, url)
    for n in range(8):
        approvals.add_comment(actor=world.actors[R.CAB_APPROVER], request_id=request.pk, body=f"reply {n}")
    many, body = count_queries(client, url)
    assert len(body["results"]) == 9
    assert few == many
