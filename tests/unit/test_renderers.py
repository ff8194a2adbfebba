"""The orjson renderer writes the same bytes as DRF's JSONRenderer (issue 16), so no client can tell."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

from django.utils.functional import lazy
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from fleetgate.api.renderers import FastJSONRenderer

DRF, FAST = JSONRenderer(), FastJSONRenderer()


def same(data: object) -> None:
    assert FAST.render(data) == DRF.render(data)


def test_the_values_a_response_holds_render_byte_for_byte_as_drf() -> None:
    lazy_text = lazy(lambda: "translated", str)()
    same(
        {
            "when": datetime(2026, 12, 2, 18, 0, 1, 123456, tzinfo=UTC),
            "whole_second": datetime(2026, 12, 2, 18, 0, 1, tzinfo=UTC),
            "offset": datetime(2026, 12, 2, 18, 0, 1, 5000, tzinfo=timezone(timedelta(hours=-5))),
            "naive": datetime(2026, 12, 2, 18, 0, 1),
            "day": date(2026, 12, 2),
            "clock": time(9, 30, 15, 250000),
            "took": timedelta(seconds=90),
            "price": Decimal("12.50"),
            "id": uuid.UUID("3f2b6c1e-8a4d-4b7e-9c1a-2d5e6f708192"),
            "text": "Zoë — 日本語 \u2028 \u2029",
            "lazy": lazy_text,
            "nested": ReturnList([ReturnDict({"a": 1}, serializer=None)], serializer=None),
            "by_state": {1: "one"},
            "nothing": None,
            "flags": [True, False],
            "big": 2**62,
            "float": 0.1,
        }
    )


def test_no_body_renders_empty() -> None:
    assert FAST.render(None) == b""


def test_an_indent_asked_for_in_the_accept_header_is_kept() -> None:
    rendered = FAST.render({"a": [1]}, "application/json; indent=2", {})
    assert rendered == DRF.render({"a": [1]}, "application/json; indent=2", {})
    assert b"\n" in rendered


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_any_json_document_renders_as_drf_does(value: object) -> None:
    same(value)


@given(st.datetimes(timezones=st.just(UTC)))
def test_any_utc_time_renders_as_drf_does(moment: datetime) -> None:
    same({"at": moment})
