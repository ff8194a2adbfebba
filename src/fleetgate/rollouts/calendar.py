"""Maintenance windows, blackouts and the change freeze as pure functions of time.

A window or blackout recurs by an RFC 5545 RRULE (python-dateutil's rrulestr) from its first
occurrence, in wall time of its own IANA time zone, so "Saturdays 22:00 Europe/Berlin" stays
22:00 across daylight-saving changes. Rules that apply to a scope: same boundary, business unit
blank or equal, site class blank or one of the target's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr

MAX_LOOKAHEAD = timedelta(days=400)


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str  # window | blackout
    timezone: str
    starts_local: str  # 2026-12-05T22:00
    duration_minutes: int
    rrule: str = ""


@dataclass(frozen=True)
class Openness:
    open: bool
    problem: str = ""
    next_open: datetime | None = None


def parse_start(starts_local: str, tz: str) -> datetime:
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}; use an IANA name such as Europe/Berlin") from exc
    start = datetime.fromisoformat(starts_local)
    if start.tzinfo is not None:
        raise ValueError("give the first occurrence as wall time without an offset; the time zone says where")
    return start.replace(tzinfo=zone)


def check_rrule(rule: str, start: datetime) -> None:
    """Raise ValueError when `rule` is not an RRULE dateutil can expand."""
    if rule:
        text = rule.removeprefix("RRULE:")
        rrulestr(text, dtstart=start.replace(tzinfo=None))


def occurrences(rule: Rule, around: datetime) -> Iterable[tuple[datetime, datetime]]:
    """(start, end) in UTC of every occurrence that may cover `around` or start within the lookahead."""
    zone = ZoneInfo(rule.timezone)
    first = parse_start(rule.starts_local, rule.timezone)
    length = timedelta(minutes=rule.duration_minutes)
    if not rule.rrule:
        yield first.astimezone(ZoneInfo("UTC")), (first + length).astimezone(ZoneInfo("UTC"))
        return
    # Expand in naive wall time, then attach the zone: occurrences keep their wall-clock hour.
    expansion = rrulestr(rule.rrule.removeprefix("RRULE:"), dtstart=first.replace(tzinfo=None))
    local_around = around.astimezone(zone).replace(tzinfo=None)
    begin = local_around - length - timedelta(days=1)
    for start in expansion.xafter(begin, inc=True):
        if start > local_around + MAX_LOOKAHEAD:
            return
        aware = start.replace(tzinfo=zone)
        yield aware.astimezone(ZoneInfo("UTC")), (aware + length).astimezone(ZoneInfo("UTC"))


def _covering(rule: Rule, at: datetime) -> tuple[datetime, datetime] | None:
    for start, end in occurrences(rule, at):
        if start > at:
            return None
        if start <= at < end:
            return start, end
    return None


def _next_start(rule: Rule, at: datetime) -> datetime | None:
    return next((start for start, _ in occurrences(rule, at) if start > at), None)


def openness(rules: list[Rule], at: datetime, freeze_reason: str | None = None) -> Openness:
    """May a change (publish, assign, promote) happen at `at`? Freeze, then blackouts, then windows."""
    if freeze_reason is not None:
        return Openness(False, f"global change freeze: {freeze_reason}")
    for rule in rules:
        if rule.kind == "blackout" and (hit := _covering(rule, at)):
            return Openness(False, f"blackout '{rule.name}' until {hit[1].isoformat()}", hit[1])
    windows = [r for r in rules if r.kind == "window"]
    if not windows or any(_covering(r, at) for r in windows):
        return Openness(True)
    starts = [s for s in (_next_start(r, at) for r in windows) if s is not None]
    following = min(starts) if starts else None
    names = ", ".join(r.name for r in windows)
    when = f"; next opens {following.isoformat()}" if following else "; none opens within 400 days"
    return Openness(False, f"outside the maintenance window(s) {names}{when}", following)


def next_open(rules: list[Rule], at: datetime, freeze_reason: str | None = None, limit: int = 50) -> datetime | None:
    """The earliest moment at or after `at` when changes are allowed (None: never, or frozen)."""
    if freeze_reason is not None:
        return None
    moment = at
    for _ in range(limit):
        state = openness(rules, moment)
        if state.open:
            return moment
        if state.next_open is None:
            return None
        moment = state.next_open
    return None
