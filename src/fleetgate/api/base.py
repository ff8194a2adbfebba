"""Shared API plumbing so each resource is a short declaration.

- StrictSerializer refuses fields it does not know (a typo must not be silently ignored).
- ResourceViewSet checks the resource's view permission on every read and exposes `self.actor`.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers, viewsets
from rest_framework.request import Request

from fleetgate.core import actors, permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import NotFound


def actor_of(request: Request) -> Actor:
    cached = getattr(request, "_fleetgate_actor", None)
    if cached is None:
        cached = actors.from_user(request.user)  # type: ignore[arg-type]  # authenticated by now
        request._fleetgate_actor = cached  # type: ignore[attr-defined]
    return cached


def int_id(pk: str) -> int:
    if not str(pk).isdigit():
        raise NotFound(f"'{pk}' is not an id here; ids in this collection are numbers.")
    return int(pk)


class StrictSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Refuses unknown fields, reported together with every other field error."""

    def to_internal_value(self, data: Any) -> Any:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        errors = {
            name: [serializers.ErrorDetail("Unknown field; remove it.", code="unknown-field")] for name in unknown
        }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if errors and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **errors}) from None
            raise
        if errors:
            raise serializers.ValidationError(errors)
        return value


class ResourceViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    view_permission: str = ""

    @property
    def actor(self) -> Actor:
        return actor_of(self.request)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if self.view_permission and request.method in ("GET", "HEAD", "OPTIONS"):
            permissions.require(actor_of(request), self.view_permission)
