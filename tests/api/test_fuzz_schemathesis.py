"""Property-based fuzzing of the whole API against its contract (schemathesis, in-process over WSGI).

Every operation of the contract is called with generated valid and invalid requests, authenticated as
a user holding broad roles; each response must not be a 5xx and must conform to the contract: status
code, content type, headers and body schema (the checks `st run --checks all` applies that make sense
without a stateful scenario). The contract is generated from the code exactly as `make schema` writes
openapi.yaml (and `make schema-check` keeps the committed file equal to it).

Bounded for `make test`: FLEETGATE_FUZZ_EXAMPLES examples per operation and mode (default 3), no shrinking.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config._checks import MissingRequiredHeaderConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from fleetgate.core.roles import Role
from tests.factories import World, make_token, make_user

EXAMPLES = int(os.environ.get("FLEETGATE_FUZZ_EXAMPLES", "3"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
]


@pytest.fixture(scope="session")
def contract() -> Any:
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(document)
    # A missing If-Match is answered 428 Precondition Required (RFC 6585), which is exactly that case.
    loaded.config.checks.missing_required_header = MissingRequiredHeaderConfig(
        expected_statuses=[400, 401, 403, 406, 415, 422, 428]
    )
    loaded.app = get_wsgi_application()
    return loaded


schema = schemathesis.pytest.from_fixture("contract")


@pytest.fixture
def in_test_transaction() -> Iterator[None]:
    """Requests run inside the test's transaction: keep Django from closing that connection after each."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Operations only a Platform Admin may call at all; everything else runs as the broad non-admin user.
ADMIN_PATHS = (
    "/api/v1/users/",
    "/api/v1/tokens/",
    "/api/v1/role-grant-requests/",
    "/api/v1/webhooks/",
    "/api/v1/connectors/",
    "/api/v1/siem/",
)


@pytest.fixture
def tokens(db: Any, in_test_transaction: None) -> dict[str, str]:
    world = World.build()
    user = make_user(None)
    from fleetgate.identity import services as identity
    from tests.factories import BOOTSTRAP

    # Platform Admin never holds a deciding role (separation of duties); every other role at once.
    roles = [{"role": str(r), "boundary": "acme", "business_units": ["*"]} for r in Role if r != Role.PLATFORM_ADMIN]
    identity.set_roles(actor=BOOTSTRAP, user_id=user.pk, roles=roles)
    return {"broad": make_token(user), "admin": make_token(world.users[Role.PLATFORM_ADMIN])}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_every_operation_keeps_its_contract(case: Any, tokens: dict[str, str]) -> None:
    cache.clear()  # the login throttle counts per client; fuzzing is not a brute-force attack
    token = tokens["admin" if case.operation.path.startswith(ADMIN_PATHS) else "broad"]
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
