"""AWX's list filtering and ordering, simulated: what `awx/api/filters.py` (FieldLookupBackend and
OrderByBackend) does to a query string, over plain rows.

- reserved names (`page`, `page_size`, `format`, `order`, `order_by`, `search`, `type`,
  `host_filter`, `count_disabled`, `no_truncate`, `limit`) are skipped by the field lookup, silently:
  `?limit=FG-LAB` filters nothing; `?limit__exact=FG-LAB` filters on the job's limit;
- `<field>[__<lookup>]` with AWX's supported lookups, and the `not__` prefix;
- a field marked "prevent search" (a job's `extra_vars`) answers 403
  `{"detail": "Filtering on extra_vars is not allowed."}`;
- an unknown field answers 400 `{"detail": "Job has no field named 'x'"}` (a DRF ParseError);
- `order_by` (or `order`) takes a comma list of fields, `-` for descending; the default ordering is
  the model's (`id` ascending for jobs).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from werkzeug.datastructures import MultiDict

RESERVED_NAMES = (
    "page",
    "page_size",
    "format",
    "order",
    "order_by",
    "search",
    "type",
    "host_filter",
    "count_disabled",
    "no_truncate",
    "limit",
)
LOOKUPS = (
    "exact",
    "iexact",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "regex",
    "iregex",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "isnull",
)


class LookupError_(Exception):
    """A refused query: `status` and AWX's body."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.body = status, {"detail": detail}


RELATED = ("job_template", "unified_job_template", "inventory", "project", "host", "job")


def _typed(path: str, value: Any, raw: str) -> tuple[Any, Any]:
    """(row value, query value) comparable: integers as integers, booleans as booleans, else text."""
    if isinstance(value, bool):
        return value, raw.lower() in ("true", "1", "yes")
    if isinstance(value, int):
        if path in RELATED and raw.lower() in ("none", "null"):
            return value, None
        try:
            return value, int(raw)
        except ValueError:
            if path in RELATED:  # a foreign key: AWX's to_python_related
                raise LookupError_(400, f"Invalid {path} id: {raw}") from None
            raise LookupError_(400, json.dumps([f"“{raw}” value must be an integer."], ensure_ascii=False)) from None
    return ("" if value is None else str(value)), raw


def _match(path: str, value: Any, lookup: str, raw: str) -> bool:
    if lookup == "isnull":
        return (value is None) == (raw.lower() in ("true", "1"))
    if lookup == "in":
        return any(_match(path, value, "exact", item) for item in raw.split(","))
    row, query = _typed(path, value, raw)
    if lookup in ("gt", "gte", "lt", "lte"):
        return bool({"gt": row > query, "gte": row >= query, "lt": row < query, "lte": row <= query}[lookup])
    if lookup in ("regex", "iregex"):
        try:
            return re.search(query, str(row), re.IGNORECASE if lookup == "iregex" else 0) is not None
        except re.error as exc:
            raise LookupError_(400, str(exc)) from None
    if lookup.startswith("i"):
        row, query, lookup = str(row).lower(), str(query).lower(), lookup[1:]
    if lookup == "exact":
        return bool(row == query)
    if lookup == "contains":
        return str(query) in str(row)
    if lookup == "startswith":
        return str(row).startswith(str(query))
    return str(row).endswith(str(query))  # endswith


def filter_rows(
    model: str,
    rows: Iterable[Mapping[str, Any]],
    args: MultiDict[str, str],
    fields: Iterable[str],
    prevent: Iterable[str],
) -> list[Mapping[str, Any]]:
    """The rows the query string keeps; raises LookupError_ as AWX refuses."""
    known, hidden = set(fields), set(prevent)
    tests: list[tuple[bool, str, str, str]] = []
    for key, values in args.lists():
        if key in RESERVED_NAMES:
            continue
        negate = key.startswith("not__")
        key = key.removeprefix("not__")
        path, lookup = key, "exact"
        if "__" in key and key.rsplit("__", 1)[1] in LOOKUPS:
            path, lookup = key.rsplit("__", 1)
        if not path:
            raise LookupError_(400, "Query string field name not provided.")
        if path in hidden:
            raise LookupError_(403, f"Filtering on {path} is not allowed.")
        if path not in known:
            raise LookupError_(400, f"{model} has no field named '{path}'")
        for value in values:
            if path in RELATED and lookup != "isnull":  # checked before the query runs, as AWX does
                for item in value.split(",") if lookup == "in" else [value]:
                    if not item.isdigit() and item.lower() not in ("none", "null"):
                        raise LookupError_(400, f"Invalid {path} id: {item}")
            tests.append((negate, path, lookup, value))
    return [row for row in rows if all(_match(p, row.get(p), lk, v) != neg for neg, p, lk, v in tests)]


def order_rows(rows: list[Mapping[str, Any]], args: MultiDict[str, str], fields: Iterable[str]) -> list[Any]:
    """`order_by=-id,name`: AWX's OrderByBackend over rows already in the model's default order."""
    spec = args.get("order_by") or args.get("order")
    if not spec:
        return rows
    known = set(fields)
    keys = [s.strip() for s in spec.split(",") if s.strip()]
    for key in keys:
        if key.lstrip("-") not in known:
            raise LookupError_(400, f"Cannot resolve keyword '{key.lstrip('-')}' into field.")
    ordered = list(rows)
    for key in reversed(keys):  # stable sorts, last key first
        name = key.lstrip("-")
        ordered.sort(key=lambda r: (r.get(name) is None, r.get(name) or 0), reverse=key.startswith("-"))
    return ordered
