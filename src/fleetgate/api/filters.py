"""Query filters that mean what the contract says, for every collection at once.

django-filter, left alone, is lenient where the contract is strict and strict where it should not be:
- an id filter (a foreign key) answers 400 "select a valid choice" for a well-formed id that names
  nothing, where a filter should simply match nothing: it becomes a typed id filter (UUID or integer);
- a boolean filter reads `?flag=junk` as "no filter" and answers 200: only true/false are accepted;
- an integer filter accepts 0.5 and integers past 64 bits: only whole numbers that fit are accepted;
- a parameter sent empty (`?state=`) is silently ignored; for any typed filter it is refused, since an
  empty string is no value of that type (text filters keep matching on the empty string as before).

The backend rewrites each FilterSet class once (cached), so the domains declare filters as usual.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import django_filters
from django import forms
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.request import Request

from fleetgate.core.errors import FieldIssue, ValidationFailed

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_TRUE, _FALSE = ("true", "True"), ("false", "False")


class StrictUUIDField(forms.UUIDField):
    def to_python(self, value: Any) -> uuid.UUID | None:  # type: ignore[override]  # django-stubs says str
        if value == "":
            raise forms.ValidationError("Give a UUID, or leave the parameter out.", code="format")
        return super().to_python(value)  # type: ignore[no-any-return]


class StrictIntegerField(forms.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", INT64_MIN)
        kwargs.setdefault("max_value", INT64_MAX)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:
        if value == "":
            raise forms.ValidationError("Give a whole number, or leave the parameter out.", code="integer")
        if isinstance(value, str) and not (value.isascii() and value.removeprefix("-").isdigit() and len(value) < 21):
            raise forms.ValidationError("Give a whole number such as 3.", code="integer")
        return super().to_python(value)  # type: ignore[no-any-return]


class StrictBooleanField(forms.Field):
    def to_python(self, value: Any) -> bool | None:
        if value is None:
            return None
        if value in _TRUE or value is True:
            return True
        if value in _FALSE or value is False:
            return False
        raise forms.ValidationError("Give true or false, or leave the parameter out.", code="boolean")


MAX_UTC_OFFSET = timedelta(hours=14)  # the widest real zone (Line Islands); PostgreSQL refuses beyond ±15:59


class _WithinRealOffsets:
    """A parsed date-time whose UTC offset a database can store (else a 400 naming the parameter)."""

    def to_python(self, value: Any) -> datetime | None:
        moment = super().to_python(value)  # type: ignore[misc]
        if moment is None:
            return None
        offset = moment.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise forms.ValidationError("Give a time zone offset between -14:00 and +14:00.", code="datetime")
        try:
            return moment.astimezone(UTC) if offset is not None else moment
        except OverflowError:
            raise forms.ValidationError("Give a date and time within years 1 to 9999.", code="datetime") from None


class StrictDateTimeField(_WithinRealOffsets, forms.DateTimeField):
    pass


class StrictIsoDateTimeField(_WithinRealOffsets, django_filters.fields.IsoDateTimeField):
    pass


class DateTimeFilter(django_filters.DateTimeFilter):
    field_class = StrictDateTimeField


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = StrictIsoDateTimeField


class IdFilter(django_filters.UUIDFilter):
    """Matches rows whose foreign key is this UUID; an unknown UUID matches nothing (an empty list)."""

    field_class = StrictUUIDField


class IntegerFilter(django_filters.NumberFilter):
    field_class = StrictIntegerField


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


def _target_pk(model: type[models.Model] | None, field_name: str) -> models.Field[Any, Any] | None:
    """The primary key a foreign-key path (e.g. `intent` or `intent__application`) points at."""
    field: Any = None
    for part in field_name.split("__"):
        if model is None:
            return None
        try:
            field = model._meta.get_field(part)
        except Exception:
            return None
        model = field.related_model if field.is_relation else None
    return model._meta.pk if model is not None else field


def _model_field(model: type[models.Model] | None, field_name: str) -> Any:
    try:
        return model._meta.get_field(field_name) if model is not None else None
    except Exception:
        return None


def _replacement(f: django_filters.Filter, model: type[models.Model] | None) -> django_filters.Filter | None:
    kwargs = {
        "field_name": f.field_name,
        "lookup_expr": f.lookup_expr,
        "label": f.label,
        "method": f._method,
        "distinct": f.distinct,
        "exclude": f.exclude,
        "required": f.extra.get("required", False),
    }
    if isinstance(f, django_filters.ModelChoiceFilter) and not isinstance(f, django_filters.ModelMultipleChoiceFilter):
        target = _target_pk(model, f.field_name)
        if isinstance(target, models.UUIDField):
            return IdFilter(**kwargs)
        if isinstance(target, models.IntegerField):
            return IntegerFilter(**kwargs)
        return None
    if isinstance(f, django_filters.BooleanFilter) and not isinstance(f, BooleanFilter):
        return BooleanFilter(**kwargs)
    if type(f) is django_filters.NumberFilter and isinstance(_model_field(model, f.field_name), models.IntegerField):
        return IntegerFilter(**kwargs)
    if type(f) is django_filters.UUIDFilter:
        return IdFilter(**kwargs)
    if type(f) is django_filters.DateTimeFilter:
        return DateTimeFilter(**kwargs)
    if type(f) is django_filters.IsoDateTimeFilter:
        return IsoDateTimeFilter(**kwargs)
    return None


_HARDENED: dict[type[django_filters.FilterSet], type[django_filters.FilterSet]] = {}


def harden(filterset_class: type[django_filters.FilterSet]) -> type[django_filters.FilterSet]:
    if filterset_class in _HARDENED or filterset_class in _HARDENED.values():
        return _HARDENED.get(filterset_class, filterset_class)
    model = getattr(filterset_class._meta, "model", None)
    base_filters = dict(filterset_class.base_filters)
    for name, f in list(base_filters.items()):
        new = _replacement(f, model)
        if new is not None:
            base_filters[name] = new
    hardened: Any = type(filterset_class.__name__, (filterset_class,), {"__module__": filterset_class.__module__})
    hardened.base_filters = base_filters
    _HARDENED[filterset_class] = hardened
    return hardened


def _is_text(f: django_filters.Filter) -> bool:
    return isinstance(f, django_filters.CharFilter)


_AUTO: dict[tuple[type, Any], Any] = {}


def _asked(filterset_class: Any, params: Any) -> bool:
    """Whether a query parameter names one of the filters (or a part of one: `x_after`, `x_min`)."""
    names = filterset_class.base_filters
    return any(p in names or any(p.startswith(f"{n}_") for n in names) for p in params)


class FilterBackend(DjangoFilterBackend):
    def get_filterset_class(self, view: Any, queryset: Any = None) -> Any:
        # django-filter builds a new class per request from `filterset_fields`: built once per view here
        # (else each request's class would also stay in harden()'s cache: one more class per request).
        auto = getattr(view, "filterset_class", None) is None and queryset is not None
        key = (type(view), queryset.model if auto else None)
        if auto and key in _AUTO:
            return _AUTO[key]
        filterset_class = super().get_filterset_class(view, queryset)
        hardened = harden(filterset_class) if filterset_class is not None else None
        if auto:
            _AUTO[key] = hardened
        return hardened

    def filter_queryset(self, request: Request, queryset: Any, view: Any) -> Any:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not _asked(filterset_class, request.query_params):
            return queryset  # no filter asked for: the FilterSet would not change the queryset
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        params = request.query_params
        empty = [
            FieldIssue(name, "not-empty", "An empty value is no value of this parameter's type; leave it out.")
            for name, f in filterset.filters.items()
            if not _is_text(f) and name in params and any(v == "" for v in params.getlist(name))
        ]
        if empty:
            names = ", ".join(i.field for i in empty)
            raise ValidationFailed(f"Fix these query parameters and retry: {names}.", errors=empty)
        if not filterset.is_valid():
            issues = [
                FieldIssue(name, getattr(e, "code", None) or "invalid", " ".join(e.messages))
                for name, errors in filterset.errors.as_data().items()
                for e in errors
            ]
            names = ", ".join(sorted({i.field for i in issues}))
            raise ValidationFailed(f"Fix these query parameters and retry: {names}.", errors=issues)
        return filterset.qs
