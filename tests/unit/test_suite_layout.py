"""The suite's own rule (tests/conftest.py): tests/unit touches no database, so it runs in one pass only."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import UNIT, database_free_tests


@dataclass
class Item:
    path: Path
    fixturenames: list[str] = field(default_factory=list)
    marker: str = ""
    nodeid: str = "tests/unit/test_x.py::test_x"

    def get_closest_marker(self, name: str) -> Any:
        return object() if name == self.marker else None


def test_unit_tests_are_the_ones_under_tests_unit() -> None:
    here, there = Item(UNIT / "test_a.py", ["tmp_path"]), Item(UNIT.parent / "domain" / "test_b.py", ["db"])
    assert database_free_tests([here, there]) == [here]  # type: ignore[list-item]


@pytest.mark.parametrize(("fixtures", "marker"), [(["db"], ""), (["world"], ""), ([], "django_db")])
def test_a_unit_test_that_asks_for_the_database_stops_the_run(fixtures: list[str], marker: str) -> None:
    with pytest.raises(pytest.UsageError, match="uses the database: move it out of tests/unit"):
        database_free_tests([Item(UNIT / "test_a.py", fixtures, marker)])  # type: ignore[list-item]
