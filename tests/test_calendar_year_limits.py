"""A year file that is far bigger than any State Council schedule, or one whose holiday runs
longer than the calendar's own bound on days off, is refused with the file and the field
named, and nothing is kept (the command line on SQLite and PostgreSQL).

The year files are made up for these tests; they are not the State Council's schedule.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.errors import ProfileError
from compliance.policy.calendar import LONGEST_DAYS_OFF
from compliance.policy.year_data import MAX_YEAR_BYTES, parse_year
from tests.helpers import english
from tests.test_cli import run

SMALL_YEAR = """year = 2027
source = "made up for a test"
workdays = [2027-02-20]
[[holidays]]
name = "元旦"
first = 2027-01-01
last = 2027-01-03
"""


def padded(size: int) -> str:
    """The small year, padded with comment lines to about ``size`` bytes."""
    line = "# " + "x" * 98 + "\n"
    return SMALL_YEAR + line * (size // len(line) + 1)


def test_a_huge_year_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    path.write_text(padded(MAX_YEAR_BYTES + 1), encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        parse_year(path, path.read_bytes())
    assert english(caught.value) == [
        f"{path}: more than a year's schedule needs (at most {MAX_YEAR_BYTES} bytes)"
    ]
    # a file just under the bound is read as usual
    ok = tmp_path / "ok.toml"
    ok.write_text(padded(MAX_YEAR_BYTES - 200)[: MAX_YEAR_BYTES - 200], encoding="utf-8")
    assert parse_year(ok, ok.read_bytes()).year == 2027


def test_calendar_add_refuses_a_huge_file_and_keeps_nothing(tmp_path: Path, db_url: str) -> None:
    assert run(["init"], tmp_path, db_url).returncode == 0
    path = tmp_path / "huge.toml"
    path.write_text(padded(4 * MAX_YEAR_BYTES), encoding="utf-8")
    refused = run(["calendar", "add", str(path)], tmp_path, db_url)
    assert refused.returncode == 3
    assert f"{path}: rejected; nothing was added" in refused.stderr
    assert f"至多 {MAX_YEAR_BYTES} 字节" in refused.stderr
    assert not (tmp_path / "var" / "calendar").exists()
    status = run(["calendar", "status", "--at", "2026-12-01"], tmp_path, db_url)
    assert "2027：未覆盖" in status.stdout, status.stderr


def test_a_holiday_longer_than_the_calendar_allows_is_refused(tmp_path: Path) -> None:
    """History look-backs (working-day spacing) assume at most LONGEST_DAYS_OFF days in a row
    without a working day: a typo in ``last`` that makes Spring Festival 19 days long (23
    with its weekends) would let a family member be called on the first working day after
    it, not the second. Such a year is refused, naming the holiday."""
    path = tmp_path / "long.toml"
    path.write_text(
        SMALL_YEAR.replace("workdays = [2027-02-20]\n", "")
        + '[[holidays]]\nname = "春节"\nfirst = 2027-02-08\nlast = 2027-02-26\n',
        encoding="utf-8",
    )
    with pytest.raises(ProfileError) as caught:
        parse_year(path, path.read_bytes())
    found = "\n".join(english(caught.value))
    assert f"{path}: holidays[1] (春节): 2027-02-06 to 2027-02-28" in found
    assert f"{LONGEST_DAYS_OFF} at most" in found
    # a week-long holiday with a 调休 Saturday after it is an ordinary year
    path.write_text(
        SMALL_YEAR.replace("2027-02-20", "2027-02-20, 2027-02-06")
        + '[[holidays]]\nname = "春节"\nfirst = 2027-02-10\nlast = 2027-02-16\n',
        encoding="utf-8",
    )
    assert len(parse_year(path, path.read_bytes()).holidays) == 3 + 7
