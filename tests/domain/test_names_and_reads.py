"""Ledger subject names (one query per subject type), webhook edit and signed test sends, and per-person
notification read state: each service's legal path, its denied roles and the exact ledger event."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction

from fleetgate.audit import services as audit
from fleetgate.audit import subjects
from fleetgate.audit.models import LedgerEvent
from fleetgate.core.actors import ASSISTANT
from fleetgate.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from fleetgate.core.roles import Role
from fleetgate.notifications import queries, services, signing
from fleetgate.notifications.models import Delivery, DeliveryStatus, NotificationRead
from tests.factories import World, sealed_intent

pytestmark = pytest.mark.django_db
R = Role


def _last() -> LedgerEvent:
    event = LedgerEvent.objects.order_by("-sequence").first()
    assert event is not None
    return event


# --- ledger subject names ---------------------------------------------------------------------------------


def test_every_named_subject_type_reads_real_fields() -> None:
    """A typo in a template (a field the model lacks) must fail here, not on a reader's page."""
    for subject_type, (label, template) in subjects.NAMES.items():
        model = apps.get_model(label)
        list(model._default_manager.values("pk", *subjects._fields(template))[:1])
        assert subject_type


def test_names_cost_one_query_per_subject_type(world: World, django_assert_num_queries: Any) -> None:
    sealed = sealed_intent(world)
    events = list(LedgerEvent.objects.filter(subject_type__in=["intent", "artifact", "evidence"]))
    assert len(events) > 3
    with django_assert_num_queries(3):
        named = subjects.names(events)
    assert named[("intent", str(sealed.intent.pk))] == sealed.intent.name
    assert named[("artifact", str(sealed.artifact.pk))] == sealed.artifact.filename
    evidence = [e for e in events if e.subject_type == "evidence"]
    assert evidence
    assert all(named[("evidence", e.subject_id)] for e in evidence), "each evidence item is named by its file"


def test_an_unknown_type_or_malformed_id_has_no_name(world: World, django_assert_num_queries: Any) -> None:
    with transaction.atomic():
        bad = audit.record(actor=world.actors[R.PLATFORM_ADMIN], action="x", subject_type="intent", subject_id="zz")
        other = audit.record(actor=world.actors[R.PLATFORM_ADMIN], action="x", subject_type="sign_in", subject_id="1")
    with django_assert_num_queries(0):
        assert subjects.names([bad, other]) == {}


# --- webhooks: edit and send test -------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A real HTTP receiver on loopback that keeps each request's headers and body."""
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append({"headers": dict(self.headers), "body": body})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", seen
    server.shutdown()
    server.server_close()


def test_a_test_send_is_one_signed_delivery_to_that_target_alone(world: World, receiver: Any) -> None:
    url, seen = receiver
    admin = world.actors[R.PLATFORM_ADMIN]
    target, secret = services.create_target(actor=admin, name="soc", url=url, events=["breakglass.used"])
    services.create_target(actor=admin, name="other", url=url, events=[])
    delivery = services.send_test(actor=admin, target_id=target.pk)
    event = _last()
    assert (event.action, event.subject_type, event.subject_id) == (
        "webhook_target.test_sent",
        "webhook_target",
        str(target.pk),
    )
    assert event.after == {"delivery": delivery.pk, "url": url}
    assert Delivery.objects.count() == 1, "only the target under test gets it, whatever its events"
    done = services.attempt(delivery.pk)
    assert done.status == DeliveryStatus.DELIVERED
    assert done.response_code == 204
    [request] = seen
    headers = request["headers"]
    assert headers[signing.EVENT_HEADER] == services.TEST_EVENT
    stamp = int(headers[signing.TIMESTAMP_HEADER])
    assert signing.verify(secret, stamp, request["body"], headers[signing.SIGNATURE_HEADER])
    assert b'"test":true' in request["body"]


@pytest.mark.parametrize("role", [r for r in Role if r != R.PLATFORM_ADMIN])
def test_only_a_platform_admin_edits_or_tests_a_webhook(world: World, role: Role) -> None:
    target, _ = services.create_target(
        actor=world.actors[R.PLATFORM_ADMIN], name="soc", url="https://x.example", events=[]
    )
    before = LedgerEvent.objects.count()
    with pytest.raises(Forbidden):
        services.update_target(actor=world.actors[role], target_id=target.pk, changes={"name": "mine"})
    with pytest.raises(Forbidden):
        services.send_test(actor=world.actors[role], target_id=target.pk)
    assert LedgerEvent.objects.count() == before
    assert Delivery.objects.count() == 0


def test_editing_a_webhook_is_audited_and_checked(world: World) -> None:
    admin = world.actors[R.PLATFORM_ADMIN]
    target, _ = services.create_target(actor=admin, name="soc", url="https://x.example", events=[])
    services.create_target(actor=admin, name="taken", url="https://y.example", events=[])
    changed = services.update_target(
        actor=admin, target_id=target.pk, changes={"url": "https://z.example/h", "events": ["cab.decision_made"]}
    )
    assert (changed.url, changed.events) == ("https://z.example/h", ["cab.decision_made"])
    event = _last()
    assert event.action == "webhook_target.updated"
    assert event.before is not None
    assert event.after is not None
    assert (event.before["url"], event.after["url"]) == ("https://x.example", "https://z.example/h")
    with pytest.raises(Conflict):
        services.update_target(actor=admin, target_id=target.pk, changes={"name": "taken"})
    with pytest.raises(ValidationFailed) as refused:
        services.update_target(actor=admin, target_id=target.pk, changes={"events": ["nope"], "secret_encrypted": "x"})
    assert {i.field for i in refused.value.errors} == {"events[0]", "secret_encrypted"}
    with pytest.raises(NotFound):
        services.update_target(actor=admin, target_id=999_999, changes={"name": "x"})


# --- notification read state ------------------------------------------------------------------------------


def _note(world: World, *roles: Role) -> Any:
    return services.notify(
        event="cab_request.opened",
        subject_type="user",
        subject_id=world.users[R.PUBLISHER].pk,
        payload={},
        recipients=[world.users[r].username for r in roles],
    )


def test_read_state_belongs_to_each_reader(world: World) -> None:
    cab, ops = world.actors[R.CAB_APPROVER], world.actors[R.ENDPOINT_OPS]
    first, second = _note(world, R.CAB_APPROVER, R.ENDPOINT_OPS), _note(world, R.CAB_APPROVER, R.ENDPOINT_OPS)
    services.mark_read(actor=cab, notification_id=first.pk)
    event = _last()
    assert (event.action, event.subject_type, event.subject_id, event.actor_id) == (
        "notification.read",
        "notification",
        str(first.pk),
        cab.id,
    )
    assert queries.unread_count(cab) == 1
    assert queries.unread_count(ops) == 2
    assert services.mark_all_read(actor=cab) == 1
    assert _last().after == {"marked": 1, "up_to": second.pk}
    before = LedgerEvent.objects.count()
    assert services.mark_all_read(actor=cab) == 0
    services.mark_read(actor=cab, notification_id=first.pk)
    assert LedgerEvent.objects.count() == before, "nothing newly read, nothing recorded"
    assert NotificationRead.objects.filter(user__username=ops.name).count() == 0


def test_nobody_marks_what_is_not_theirs_and_the_assistant_marks_nothing(world: World) -> None:
    only_cab = _note(world, R.CAB_APPROVER)
    with pytest.raises(NotFound):
        services.mark_read(actor=world.actors[R.ENDPOINT_OPS], notification_id=only_cab.pk)
    for call in (
        lambda: services.mark_read(actor=ASSISTANT, notification_id=only_cab.pk),
        lambda: services.mark_all_read(actor=ASSISTANT),
    ):
        with pytest.raises(Forbidden):
            call()
    assert NotificationRead.objects.count() == 0
