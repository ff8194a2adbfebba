"""The generated contract says what the server does (checked on the schema `make schema` writes)."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from fleetgate.api.base import StrictSerializer


@pytest.fixture(scope="module")
def contract() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


def _operation(contract: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    return contract["paths"][path][method]  # type: ignore[no-any-return]


def _parameter(operation: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in operation.get("parameters", []) if p["name"] == name)


def test_ledger_before_and_after_admit_null(contract: dict[str, Any]) -> None:
    event = contract["components"]["schemas"]["LedgerEvent"]["properties"]
    assert event["before"] == {}
    assert event["after"] == {}
    assert "oneOf" not in str(contract["components"]["schemas"]["LedgerEvent"])


def test_strict_request_bodies_forbid_unknown_fields(contract: dict[str, Any]) -> None:
    schemas = contract["components"]["schemas"]
    assert schemas["RejectRequest"]["additionalProperties"] is False
    assert schemas["LoginRequest"]["additionalProperties"] is False
    strict_requests = [k for k, v in schemas.items() if v.get("additionalProperties") is False]
    assert len(strict_requests) >= 30
    # responses stay open (the server may add fields), and the description every strict body inherits is short
    assert "additionalProperties" not in schemas["LedgerEvent"]
    assert "Refuses unknown fields" in (StrictSerializer.__doc__ or "")
    assert schemas["RejectRequest"]["description"] == StrictSerializer.__doc__


def test_if_match_is_required_where_its_absence_is_428(contract: dict[str, Any]) -> None:
    assert _parameter(_operation(contract, "/api/v1/intents/{id}/", "patch"), "If-Match")["required"] is True
    assert _parameter(_operation(contract, "/api/v1/connectors/{id}/", "patch"), "If-Match")["required"] is True
    assert not _parameter(_operation(contract, "/api/v1/intents/{id}/submit/", "post"), "If-Match").get("required")


def test_page_size_range_and_typed_filters(contract: dict[str, Any]) -> None:
    page_size = _parameter(_operation(contract, "/api/v1/intents/", "get"), "page_size")["schema"]
    assert (page_size["type"], page_size["minimum"], page_size["maximum"]) == ("integer", 1, 500)
    application = _parameter(_operation(contract, "/api/v1/versions/", "get"), "application")["schema"]
    assert application == {"type": "string", "format": "uuid"}
    assert _parameter(_operation(contract, "/api/v1/users/", "get"), "is_active")["schema"]["type"] == "boolean"


def test_required_text_has_a_minimum_length(contract: dict[str, Any]) -> None:
    reason = contract["components"]["schemas"]["RejectRequest"]["properties"]["reason"]
    assert reason["minLength"] == 1


def test_no_component_is_described_by_an_implementation_base(contract: dict[str, Any]) -> None:
    # A base's docstring is the first one a serializer without its own inherits: it documented the
    # intent, application, ledger event and dashboard schemas with how their representation is written.
    from fleetgate.api.representation import DirectRepresentation

    assert DirectRepresentation.__doc__ is None
    described = {
        name: schema["description"]
        for name, schema in contract["components"]["schemas"].items()
        if "represent(" in schema.get("description", "") or "Mixed into" in schema.get("description", "")
    }
    assert described == {}
