"""Shared API plumbing so each resource is a short declaration.

- StrictSerializer refuses fields it does not know (a typo must not be silently ignored).
- ResourceViewSet checks the resource's view permission on every read, exposes `self.actor`, and answers a
  404 problem for an id that cannot name a row of the collection (a non-UUID where ids are UUIDs), before any
  view or service sees it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import QueryDict
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers, viewsets
from rest_framework.request import Request

from fleetgate.core import permissions
from fleetgate.core.actors import Actor
from fleetgate.core.errors import FieldIssue, NotFound
from fleetgate.identity.queries import from_user


def actor_of(request: Request) -> Actor:
    cached = getattr(request, "_fleetgate_actor", None)
    if cached is None:
        cached = from_user(request.user)  # type: ignore[arg-type]  # authenticated by now
        request._fleetgate_actor = cached  # type: ignore[attr-defined]
    return cached


def int_id(pk: str) -> int:
    if not str(pk).isdigit():
        raise NotFound(f"'{pk}' is not an id here; ids in this collection are numbers.")
    return int(pk)


class StrictSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Refuses unknown fields and values of the wrong JSON type, reported together with every other field error."""

    # (The docstring is every request body's description in the contract, so the why is here: DRF coerces
    # 5 to "5" for a text field, "5" to 5 for a number and "yes" to true; the contract says string, integer,
    # boolean, and a JSON client must send exactly that. Form bodies (multipart uploads) carry only text,
    # so there DRF's conversion stands.)

    def to_internal_value(self, data: Any) -> Any:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        errors = {
            name: [serializers.ErrorDetail("Unknown field; remove it.", code="unknown-field")] for name in unknown
        }
        typed = (
            _json_type_errors(self.fields, data) if isinstance(data, dict) and not isinstance(data, QueryDict) else {}
        )
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            # DRF's own error for a field (e.g. "ten" is no integer) stands; a type error is added where DRF
            # would have coerced the value silently.
            if (errors or typed) and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**typed, **exc.detail, **errors}) from None
            raise
        if errors or typed:
            raise serializers.ValidationError({**typed, **errors})
        return value


def _expected_json_type(field: serializers.Field) -> tuple[tuple[type, ...], str] | None:  # type: ignore[type-arg]
    if isinstance(field, serializers.BooleanField):
        return (bool,), "a boolean (true or false)"
    if isinstance(field, serializers.IntegerField):
        return (int,), "an integer"
    if isinstance(field, serializers.FloatField):
        return (int, float), "a number"
    if isinstance(field, serializers.CharField | serializers.UUIDField | serializers.DateTimeField):
        return (str,), "a string"
    if isinstance(field, serializers.DateField | serializers.TimeField | serializers.DurationField):
        return (str,), "a string"
    if isinstance(field, serializers.MultipleChoiceField):
        return None
    if isinstance(field, serializers.ChoiceField) and all(isinstance(c, str) for c in field.choices):
        return (str,), "a string"
    return None


def _wrong_type(field: serializers.Field, value: Any) -> str | None:  # type: ignore[type-arg]
    if value is None:
        return None  # allow_null is DRF's to judge
    expected = _expected_json_type(field)
    if expected is None:
        return None
    types, label = expected
    if isinstance(value, bool) and bool not in types:
        return label
    return None if isinstance(value, types) else label


def _json_type_errors(fields: Any, data: dict[str, Any]) -> dict[str, list[serializers.ErrorDetail]]:
    errors: dict[str, list[serializers.ErrorDetail]] = {}
    for name, field in fields.items():
        if field.read_only or name not in data:
            continue
        value = data[name]
        label = _wrong_type(field, value)
        if label is None and isinstance(field, serializers.ListField) and isinstance(value, list):
            labels = [_wrong_type(field.child, item) for item in value]
            label = next((f"a list of {x.removeprefix('a ').removeprefix('an ')}s" for x in labels if x), None)
        if label is not None:
            message = f"Send {label} here (got JSON {_json_name(value)})."
            errors[name] = [serializers.ErrorDetail(message, code="type")]
    return errors


def _json_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "null"


class ResourceViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    view_permission: str = ""

    @property
    def actor(self) -> Actor:
        return actor_of(self.request)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if self.view_permission and request.method in ("GET", "HEAD", "OPTIONS"):
            permissions.require(actor_of(request), self.view_permission)
        self._check_lookup()

    def _check_lookup(self) -> None:
        """A detail route's id must be a value of the lookup field's type, else no such resource (404)."""
        kwarg = self.lookup_url_kwarg or self.lookup_field
        raw = self.kwargs.get(kwarg)
        if raw is None:
            return
        field = lookup_field_of(self)
        if field is None:
            return
        try:
            field.to_python(raw)
        except (DjangoValidationError, TypeError, ValueError, OverflowError):
            raise NotFound(
                f"'{raw}' is not an id in this collection; ids here are {_describe(field)}.",
                errors=[FieldIssue(kwarg, "format", f"Use an id as listed by the collection ({_describe(field)}).")],
            ) from None
        if isinstance(field, models.IntegerField) and not _fits_int64(raw):
            raise NotFound(f"'{raw}' is not an id in this collection; ids here are {_describe(field)}.")


# A view class's model is the same on every request, but finding it means building the queryset (the
# intent list's annotated one cost ~0.7 ms of each detail read and write, issue 16), so the lookup field
# found is kept per view class and lookup field. Not kept: a queryset that could not be built or has no model.
_LOOKUP_FIELDS: dict[tuple[type, str], models.Field[Any, Any] | None] = {}


def lookup_field_of(view: Any) -> models.Field[Any, Any] | None:
    key = (type(view), view.lookup_field)
    if key in _LOOKUP_FIELDS:
        return _LOOKUP_FIELDS[key]
    queryset = getattr(view, "queryset", None)
    if queryset is None:
        try:
            queryset = view.get_queryset()
        except Exception:  # a queryset that needs more than the route to build: leave the check to the view
            return None
    model = getattr(queryset, "model", None)
    if model is None:
        return None
    name = "pk" if view.lookup_field == "pk" else view.lookup_field
    try:
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    except FieldDoesNotExist:
        field = None
    _LOOKUP_FIELDS[key] = field
    return field


def _describe(field: models.Field[Any, Any]) -> str:
    if isinstance(field, models.UUIDField):
        return "UUIDs such as 3f2b6c1e-8a4d-4b7e-9c1a-2d5e6f708192"
    if isinstance(field, models.IntegerField):
        return "whole numbers"
    return "as listed by the collection"


def _fits_int64(raw: str) -> bool:
    try:
        return -(2**63) <= int(raw) < 2**63
    except ValueError:
        return False


class StrictSerializerSchema(OpenApiSerializerExtension):  # type: ignore[no-untyped-call]
    """In the contract, a StrictSerializer's request body says what the server does: no unknown fields."""

    target_class = StrictSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema
