"""Maintenance windows and blackouts by RRULE in their own time zone; the freeze beats everything."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fleetgate.rollouts import calendar

SATURDAY_NIGHT = calendar.Rule("sat", "window", "Europe/Berlin", "2026-11-07T22:00", 240, "FREQ=WEEKLY;BYDAY=SA")
XMAS = calendar.Rule("xmas", "blackout", "UTC", "2026-12-20T00:00", 14 * 24 * 60)


def test_no_rules_is_open_and_freeze_closes() -> None:
    at = datetime(2026, 12, 2, 12, tzinfo=UTC)
    assert calendar.openness([], at).open
    frozen = calendar.openness([], at, "year-end audit")
    assert not frozen.open
    assert "freeze" in frozen.problem
    assert calendar.next_open([], at, "audit") is None


def test_weekly_window_in_local_time_across_dst() -> None:
    inside_winter = datetime(2026, 12, 5, 22, 30, tzinfo=UTC)  # 23:30 Berlin (UTC+1)
    assert calendar.openness([SATURDAY_NIGHT], inside_winter).open
    outside = datetime(2026, 12, 2, 12, tzinfo=UTC)
    state = calendar.openness([SATURDAY_NIGHT], outside)
    assert not state.open
    assert state.next_open == datetime(2026, 12, 5, 21, tzinfo=UTC)
    summer = calendar.openness([SATURDAY_NIGHT], datetime(2027, 7, 3, 20, 30, tzinfo=UTC))  # 22:30 Berlin (UTC+2)
    assert summer.open


def test_blackout_blocks_until_its_end_and_wins_over_window() -> None:
    at = datetime(2026, 12, 26, 22, 30, tzinfo=UTC)
    state = calendar.openness([SATURDAY_NIGHT, XMAS], at)
    assert not state.open
    assert "blackout" in state.problem
    assert state.next_open == datetime(2027, 1, 3, tzinfo=UTC)
    # the blackout ends inside the Saturday-night window of 2 January (22:00-02:00 Berlin)
    assert calendar.next_open([SATURDAY_NIGHT, XMAS], at) == datetime(2027, 1, 3, tzinfo=UTC)


def test_bad_zone_start_and_rule_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        calendar.parse_start("2026-12-05T22:00", "Mars/Olympus")
    with pytest.raises(ValueError):
        calendar.parse_start("tomorrow", "UTC")
    with pytest.raises(ValueError):
        calendar.check_rrule("FREQ=SOMETIMES", calendar.parse_start("2026-12-05T22:00", "UTC"))
