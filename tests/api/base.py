"""A shared API test base (NetBox style): declare a resource's endpoints once, and every role's
access, the status code, the problem body on denial and the exact ledger row per mutation are
checked for each of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from rest_framework.test import APIClient

from fleetgate.audit.models import LedgerEvent
from fleetgate.core.roles import Role
from tests.factories import World, make_token

ALL_ROLES = frozenset(Role)
CORRELATION = "api-test-correlation-0001"


@dataclass(frozen=True)
class Endpoint:
    method: str
    url: Callable[[World], str]
    allowed: frozenset[Role]
    status: int = 200
    body: Callable[[World], Any] | None = None
    headers: Callable[[World], dict[str, str]] = field(default=lambda w: {})
    ledger_action: str | None = None  # None: a read, no ledger row may appear
    ledger_actions: tuple[str, ...] = ()  # a write that leaves several rows (e.g. a transition it causes), in order
    multipart: bool = False
    label: str = ""

    def __str__(self) -> str:
        return self.label or self.method


def client_for(user: Any | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user)}")
    return client


def prepare(client: APIClient, endpoint: Endpoint, world: World) -> Callable[[], Any]:
    """Build the request (which may create its subject) before anything is counted, then send it."""
    url = endpoint.url(world)
    kwargs: dict[str, Any] = {"HTTP_X_CORRELATION_ID": CORRELATION}
    kwargs.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in endpoint.headers(world).items()})
    data = endpoint.body(world) if endpoint.body else None
    fmt = "multipart" if endpoint.multipart else "json"
    return lambda: getattr(client, endpoint.method.lower())(url, data=data, format=fmt, **kwargs)


class ResourceAccessTests:
    """Subclass and set `endpoints`; conftest's pytest_generate_tests expands (endpoint x role)."""

    endpoints: list[Endpoint] = []

    @pytest.mark.django_db
    def test_role_access(self, endpoint: Endpoint, role: Role) -> None:
        world = World.build()
        user = world.users[role]
        send = prepare(client_for(user), endpoint, world)
        before = LedgerEvent.objects.count()
        response = send()
        after = LedgerEvent.objects.count()
        if role in endpoint.allowed:
            assert response.status_code == endpoint.status, response.content[:500]
            if endpoint.ledger_action:
                assert after == before + 1
                event = LedgerEvent.objects.order_by("-sequence").first()
                assert event is not None
                assert (event.action, event.actor_id, event.correlation_id) == (
                    endpoint.ledger_action,
                    str(user.pk),
                    CORRELATION,
                )
            elif endpoint.ledger_actions:
                assert after == before + len(endpoint.ledger_actions)
                events = LedgerEvent.objects.order_by("sequence")[before:]
                assert [(e.action, e.actor_id, e.correlation_id) for e in events] == [
                    (action, str(user.pk), CORRELATION) for action in endpoint.ledger_actions
                ]
            else:
                assert after == before, "a read must not write to the ledger"
        else:
            assert response.status_code == 403, response.content[:500]
            assert response["Content-Type"] == "application/problem+json"
            assert response.json()["code"] in {"forbidden", "scope-violation"}
            assert after == before, "a refused request must not write to the ledger"
        assert response["X-Correlation-ID"] == CORRELATION

    @pytest.mark.django_db
    def test_anonymous_is_refused(self, endpoint: Endpoint) -> None:
        world = World.build()
        send = prepare(client_for(None), endpoint, world)
        before = LedgerEvent.objects.count()
        response = send()
        assert response.status_code == 401
        assert response.json()["code"] == "not-authenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert LedgerEvent.objects.count() == before
