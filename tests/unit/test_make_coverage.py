"""`make coverage` combines what the two database passes measured (Makefile: test-py, coverage).

Each pass's pytest-cov leaves one combined `.coverage` in its own folder; CI once stopped at
"No data to combine" after both passes had passed, because the recipe handed `coverage combine` the
folders, in which it looks only for `.coverage.*`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from coverage import CoverageData

ROOT = Path(__file__).resolve().parents[2]


def write_pass(folder: Path, source: Path, lines: set[int]) -> None:
    folder.mkdir(parents=True)
    data = CoverageData(basename=str(folder / ".coverage"))
    data.add_lines({str(source): lines})
    data.write()


def test_make_coverage_combines_both_passes(tmp_path: Path) -> None:
    sqlite_source, postgres_source = ROOT / "src/fleetgate/settings.py", ROOT / "src/fleetgate/urls.py"
    write_pass(tmp_path / "sqlite", sqlite_source, {1, 2})
    write_pass(tmp_path / "postgres", postgres_source, {1})
    combined = tmp_path / "combined"

    run = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(ROOT),
            "coverage",
            f"COVERAGE_DIR={tmp_path}",
            f"BIN={Path(sys.executable).parent}",
        ],
        env={**os.environ, "COVERAGE_FILE": str(combined)},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert "No data to combine" not in run.stdout + run.stderr
    data = CoverageData(basename=str(combined))
    data.read()
    assert data.lines(str(sqlite_source)) == [1, 2]
    assert data.lines(str(postgres_source)) == [1]
    assert "TOTAL" in run.stdout  # the report ran on the combined data (its 90 % bound fails here, by design)
