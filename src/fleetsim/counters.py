"""Counts of every mutating request a simulated plane accepted, per operation, object and marker.

A handler that changes state tags the request (`SimApp.mutation`); the dispatcher records one
`Mutation` per tag with the response status. Operations use one vocabulary across planes:
publish (create the app / package / pocket entry), upload (content bytes and commit steps),
distribute (SCCM content to distribution points), assign (install assignment, deployment, policy,
activity or job), uninstall (the same with the uninstall / absent intent), disable (Jamf policy
switched off), delete (SCCM deployment removed), update (any other change).

`marker` is the Fleetgate correlation marker (`fleetgate:<20 hex>`) the plane object carries in its
notes / description / name / extra_vars; "" where the plane has no such field (Intune assignments
and Landscape activities: there the object id says what was touched).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

MARKER = re.compile(r"fleetgate:[0-9a-f]{20}")


def marker_in(*texts: Any) -> str:
    """The first correlation marker found in the texts, or ""."""
    for text in texts:
        if text and (m := MARKER.search(str(text))):
            return m.group(0)
    return ""


@dataclass(frozen=True)
class Mutation:
    plane: str
    operation: str
    object: str
    marker: str
    method: str
    path: str
    status: int

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Counters:
    """Thread-safe; `sim.counters` in-process, `GET /_sim/counters` and `DELETE /_sim/counters` over HTTP."""

    def __init__(self, plane: str) -> None:
        self.plane = plane
        self._entries: list[Mutation] = []
        self._lock = threading.Lock()

    def record(self, mutation: Mutation) -> None:
        with self._lock:
            self._entries.append(mutation)

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()

    @property
    def entries(self) -> list[Mutation]:
        with self._lock:
            return list(self._entries)

    def count(
        self, operation: str | None = None, *, object: str | None = None, marker: str | None = None, ok: bool = True
    ) -> int:
        """Accepted (2xx) mutations matching every given filter; ok=False counts refused ones too."""
        return sum(
            1
            for m in self.entries
            if (m.ok or not ok)
            and (operation is None or m.operation == operation)
            and (object is None or m.object == object)
            and (marker is None or m.marker == marker)
        )

    def by_marker(self, marker: str) -> dict[str, int]:
        """Accepted mutations carrying `marker`, per operation."""
        return dict(Counter(m.operation for m in self.entries if m.ok and m.marker == marker))

    def duplicates(self, operations: tuple[str, ...] = ("publish", "assign")) -> list[dict[str, Any]]:
        """(operation, object, marker) accepted more than once: what a crash-safe engine never causes."""
        seen = Counter((m.operation, m.object, m.marker) for m in self.entries if m.ok and m.operation in operations)
        return [
            {"plane": self.plane, "operation": op, "object": obj, "marker": marker, "count": n}
            for (op, obj, marker), n in sorted(seen.items())
            if n > 1
        ]

    def snapshot(self) -> dict[str, Any]:
        entries = self.entries
        accepted = [m for m in entries if m.ok]
        by_marker: dict[str, Counter[str]] = {}
        for m in accepted:
            if m.marker:
                by_marker.setdefault(m.marker, Counter())[m.operation] += 1
        return {
            "plane": self.plane,
            "total": len(accepted),
            "refused": len(entries) - len(accepted),
            "by_operation": dict(Counter(m.operation for m in accepted)),
            "by_object": {
                f"{op} {obj}": n for (op, obj), n in sorted(Counter((m.operation, m.object) for m in accepted).items())
            },
            "by_marker": {k: dict(v) for k, v in sorted(by_marker.items())},
            "duplicates": self.duplicates(),
            "entries": [asdict(m) for m in entries],
        }
