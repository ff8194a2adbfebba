"""Property-based fuzzing of the whole API against its contract (schemathesis, in-process over WSGI).

Every operation of the contract is called with generated valid and invalid requests, authenticated as
a user holding broad roles; each response must not be a 5xx and must conform to the contract: status
code, content type, headers and body schema (the checks `st run --checks all` applies that make sense
without a stateful scenario). The contract is generated from the code exactly as `make schema` writes
openapi.yaml (and `make schema-check` keeps the committed file equal to it).

Bounded for `make test`: FLEETGATE_FUZZ_EXAMPLES examples per operation (default 8), no shrinking.
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

EXAMPLES = int(os.environ.get("FLEETGATE_FUZZ_EXAMPLES", "8"))
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


@pytest.fixture
def broad_token(db: Any, in_test_transaction: None) -> str:
    World.build()
    user = make_user(None)
    from fleetgate.identity import services as identity
    from tests.factories import BOOTSTRAP

    # Platform Admin never holds a deciding role (separation of duties); every other role at once.
    roles = [{"role": str(r), "boundary": "acme", "business_units": ["*"]} for r in Role if r != Role.PLATFORM_ADMIN]
    identity.set_roles(actor=BOOTSTRAP, user_id=user.pk, roles=roles)
    return make_token(user)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_every_operation_keeps_its_contract(case: Any, broad_token: str) -> None:
    cache.clear()  # the login throttle counts per client; fuzzing is not a brute-force attack
    case.call_and_validate(headers={"Authorization": f"Bearer {broad_token}"}, checks=CHECKS)
