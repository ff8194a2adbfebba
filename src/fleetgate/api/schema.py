"""OpenAPI post-processing: every operation documents its RFC 9457 error shape, and the schema says what
the server accepts and returns where drf-spectacular's defaults would not."""

from __future__ import annotations

from typing import Any

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details. `code` is stable; `errors` names each bad field and the rule.",
    "properties": {
        "type": {"type": "string", "example": "urn:fleetgate:problem:validation-error"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "correlation_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "rule": {"type": "string"}, "message": {"type": "string"}},
                "required": ["field", "rule", "message"],
            },
        },
    },
    "required": ["type", "title", "status", "detail", "code", "correlation_id"],
}


def add_problem_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    ref = {"$ref": "#/components/schemas/Problem"}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            operation.setdefault("responses", {}).setdefault(
                "default",
                {"description": "Problem details (RFC 9457)", "content": {"application/problem+json": {"schema": ref}}},
            )
    return result


_ANY_OR_NULL = [{}, {"type": "null"}]


def _any_or_null_is_any(node: Any) -> Any:
    """`oneOf: [{}, null]` (a nullable JSONField) rejects every null, which matches both branches: `{}` says
    "any JSON value, null included", which is what such a field holds."""
    if isinstance(node, dict):
        if node.get("oneOf") == _ANY_OR_NULL:
            node = {k: v for k, v in node.items() if k != "oneOf"}
        return {k: _any_or_null_is_any(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_any_or_null_is_any(v) for v in node]
    return node


def nullable_json_is_any(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    return _any_or_null_is_any(result)  # type: ignore[no-any-return]
