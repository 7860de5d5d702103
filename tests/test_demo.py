"""``callwarden demo`` on the embedded default, twice in a row, as ``make demo`` runs it."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_cli import run


def test_demo_runs_twice_and_builds_worklists(tmp_path: Path) -> None:
    first = run(["demo", "--no-serve"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "[2/3] imported 60 sample cases: 60 new" in first.stdout
    due = [int(n) for n in re.findall(r"A0\d: (\d+) number\(s\) due", first.stdout)]
    assert len(due) == 3 and all(n > 0 for n in due)
    assert "blocked: law.case_status" in first.stdout  # the stolen / jailed / deceased cases
    second = run(["demo", "--no-serve"], tmp_path)
    assert second.returncode == 0, second.stderr
    assert "60 updated in place" in second.stdout and "0 new" in second.stdout
    assert re.findall(r"A0\d: (\d+) number", second.stdout) == re.findall(
        r"A0\d: (\d+) number", first.stdout
    )
