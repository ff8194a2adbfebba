"""Hand-written read representations for the hottest serializers (issue 16).

A DRF serializer builds and deep-copies its field objects on every request and runs each field's
get_attribute / to_representation per row: for a list of 20 intents that machinery cost more than the
database. A serializer that mixes in `DirectRepresentation` writes its dict directly in `represent()`
and keeps its declared fields for what they are also for: the OpenAPI contract and input validation.
Every such serializer is checked against DRF's own output of the same declared fields
(tests/api/test_representation.py builds the same rows both ways and compares them), so the two
cannot drift apart; the contract tests check both against the schema.

The helpers below write values exactly as the DRF fields do with this project's settings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rest_framework import serializers


def drf_datetime(value: datetime | str | None) -> str | None:
    """What `serializers.DateTimeField().to_representation` writes (ISO 8601, UTC as Z, UTC zone)."""
    if not value:
        return None
    if isinstance(value, str):
        return value
    text = (value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# Mixed into a Serializer before it: `represent(instance)` replaces the per-field walk on reads. (A comment,
# not a docstring: drf-spectacular documents a serializer with the first docstring of its own classes.)
class DirectRepresentation:
    represent: Callable[[Any], dict[str, Any]]  # each serializer that mixes this in defines it

    def to_representation(self, instance: Any) -> Any:
        return self.represent(instance)

    def drf_representation(self, instance: Any) -> Any:
        """DRF's own walk over the declared fields: what `represent` must equal (tests only)."""
        return serializers.Serializer.to_representation(self, instance)  # type: ignore[arg-type]
