"""Counts a ring's gates take from sites the engine cannot observe: air-gapped (or cut-off intermittent)
sites send them back in signed results bundles. The sites domain keeps them and registers the source at
start-up (sites sits above rollouts, as evidence's inputs do for approvals); until it does, there are none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class SiteCounts:
    """What one site's own plane reported for one ring, as the site signed it."""

    site: str
    site_class: str
    installed: int
    failed: int
    pending: int
    observed_at: str

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


class SiteCountSource(Protocol):
    def __call__(self, *, intent_id: Any, ring: str) -> list[SiteCounts]: ...


def no_site_counts(*, intent_id: Any, ring: str) -> list[SiteCounts]:
    return []


_source: dict[str, Callable[..., list[SiteCounts]]] = {"site_counts": no_site_counts}


def register(site_counts: SiteCountSource) -> None:
    """Called from the sites AppConfig.ready()."""
    _source["site_counts"] = site_counts


def site_counts(intent_id: Any, ring: str) -> list[SiteCounts]:
    return list(_source["site_counts"](intent_id=intent_id, ring=ring))
