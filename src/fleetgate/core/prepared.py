"""Queries compiled once and run many times: for the few statements every request makes.

Django compiles a queryset to SQL each time it runs it: for a small lookup that compilation costs more
CPU than the database spends answering (issue 16: the bearer-token lookup compiled on every API
request). A `PreparedQuery` is written as an ordinary `values_list` queryset whose varying values are
`Param` placeholders. It is compiled once per database connection alias, then each run sends the
cached SQL with the caller's values in the placeholders' positions, and each row goes through the
compiler's own converters (JSON decoding, SQLite's aware datetimes), so it reads exactly what the
queryset would.

It fails closed: a placeholder the compiled SQL does not carry exactly once as a parameter (a lookup
that rewrites its value, such as `icontains`) is an error when the query is first compiled, never a
silently wrong statement.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet


@dataclass(frozen=True)
class Param:
    """A placeholder for the value a run supplies under `name`."""

    name: str

    def __str__(self) -> str:  # what the database would see, should one ever leak (it cannot: see _compile)
        return f"\x00fleetgate-param:{self.name}\x00"


# (SQL, the compiled parameters, each parameter's source: a compiled one's index or a placeholder's
# name, and the compiler's converters by column)
_Compiled = tuple[str, list[Any], list[int | str], list[tuple[int, tuple[list[Any], Any]]]]


class PreparedQuery:
    """`build(**placeholders)` returns a values_list queryset; `rows(**values)` runs it with the values."""

    def __init__(self, build: Callable[..., QuerySet[Any]], *names: str) -> None:
        self._build = build
        self._names = names
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def rows(self, using: str = "default", **values: Any) -> list[tuple[Any, ...]]:
        if set(values) != set(self._names):
            raise TypeError(f"PreparedQuery takes exactly {sorted(self._names)}, got {sorted(values)}")
        compiled = self._compiled.get(using)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(using) or self._compile(using)
                self._compiled[using] = compiled
        sql, fixed, slots, converters = compiled
        params = [values[slot] if isinstance(slot, str) else fixed[slot] for slot in slots]
        connection = connections[using]  # this thread's: converters read its settings (time zone)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not converters:
            return [tuple(row) for row in rows]
        converted = []
        for row in rows:
            cells = list(row)
            for pos, (functions, expression) in converters:
                for convert in functions:
                    cells[pos] = convert(cells[pos], expression, connection)
            converted.append(tuple(cells))
        return converted

    def _compile(self, using: str) -> _Compiled:
        placeholders = {name: Param(name) for name in self._names}
        qs = self._build(**placeholders).using(using)
        compiler = qs.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        slots: list[int | str] = []
        seen: dict[str, int] = {}
        for index, param in enumerate(params):
            name = next((n for n, p in placeholders.items() if param is p or param == str(p)), None)
            if name is None:
                slots.append(index)
            else:
                slots.append(name)
                seen[name] = seen.get(name, 0) + 1
        wrong = [n for n in self._names if seen.get(n) != 1]
        if wrong:
            raise ValueError(f"PreparedQuery placeholders {wrong} must each reach the SQL once, unchanged")
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        converters = list(compiler.get_converters(fields).items())
        return sql, list(params), slots, converters
