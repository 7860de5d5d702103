"""Calendar health: which years the next 90 days need, a checked way to add one, and what the
added year changes (pure tests, then the CLI on both databases).

The year files here are test data made up for the tests, not the State Council's schedule:
the project ships no guessed 2027 data.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from compliance.errors import ProfileError
from compliance.policy import (
    AttemptHistory,
    CaseFacts,
    ContactType,
    NumberFacts,
    PersonFacts,
    decide,
    load_profile,
)
from compliance.policy.year_data import changes, coverage, parse_year, warning_due
from store.db import SessionFactory
from store.models import AuditLog, ConfigVersion
from tests.helpers import english
from tests.test_cli import run
from tests.test_scheduler import sample_db  # noqa: F401 (a fixture)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MADE_UP_2027 = """# test data, made up: not the State Council's schedule
year = 2027
source = "test data"
workdays = ["2027-02-06", "2027-02-20"]
[[holidays]]
name = "元旦"
first = "2027-01-01"
last = "2027-01-03"
[[holidays]]
name = "春节"
first = "2027-02-08"
last = "2027-02-14"
"""


def year_file(tmp_path: Path, text: str = MADE_UP_2027, name: str = "2027.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> str:
    path = year_file(tmp_path, text, "bad.toml")
    with pytest.raises(ProfileError) as caught:
        parse_year(path, path.read_bytes())
    return "\n".join(english(caught.value))


def test_a_valid_year_expands_its_ranges(tmp_path: Path) -> None:
    path = year_file(tmp_path)
    year = parse_year(path, path.read_bytes())
    assert year.year == 2027 and len(year.holidays) == 10
    assert date(2027, 2, 14) in year.holidays and date(2027, 2, 15) not in year.holidays
    assert year.workdays == (date(2027, 2, 6), date(2027, 2, 20))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("2027-02-14", "2028-01-02"), "holidays[1] (春节).last: 2028-01-02 is not in 2027"),
        (("2027-02-08", "2027-02-15"), "(春节).last: 2027-02-14 is before first (2027-02-15)"),
        (('"2027-02-06", "2027-02-20"', '"2027-02-10"'), "workdays[0]: 2027-02-10 is a Wednesday"),
        (('"2027-02-20"]', '"2027-01-02"]'), "workdays[1]: 2027-01-02 is also a holiday (元旦)"),
        (('"2027-02-20"]', '"2026-12-26"]'), "workdays[1]: 2026-12-26 is not in 2027"),
        (('first = "2027-02-08"', 'first = "2027-01-03"'), "2027-01-03 is already in 元旦"),
        (('name = "春节"', 'name = "春节"\ndays = 7'), "holidays[1] (春节).days: unknown key"),
        (('source = "test data"\n', ""), "bad.toml: source: missing"),
    ],
)
def test_every_error_names_the_file_and_the_field(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in MADE_UP_2027
    found = problems(tmp_path, MADE_UP_2027.replace(old, new, 1))
    assert expected in found and str(tmp_path / "bad.toml") in found


def test_the_preview_lists_the_working_days_that_change(tmp_path: Path) -> None:
    path = year_file(tmp_path)
    year = parse_year(path, path.read_bytes())
    found = {(c.day, c.before, c.after) for c in changes(year, {})}
    # an unknown year is compared with a plain Monday–Friday week
    assert (date(2027, 1, 1), "working day", "holiday") in found  # a Friday
    assert (date(2027, 1, 2), "weekend", "holiday") in found
    assert (date(2027, 2, 6), "weekend", "adjusted working day") in found
    assert (date(2027, 2, 15), "working day", "working day") not in found
    assert len(found) == 10 + 2
    # adding it again changes nothing
    assert changes(year, {2027: year}) == []


def test_coverage_and_the_warning_45_days_ahead(tmp_path: Path) -> None:
    path = year_file(tmp_path)
    year = parse_year(path, path.read_bytes())
    covers = coverage(date(2026, 11, 30), {})
    assert [(c.year, c.source) for c in covers] == [(2026, "chinese-calendar"), (2027, None)]
    assert [c.source for c in coverage(date(2026, 11, 30), {2027: year})][1] == "admin data"
    assert [c.year for c in coverage(date(2026, 9, 1), {})] == [2026]
    assert warning_due(date(2026, 11, 16), {}) is None  # 46 days before
    assert warning_due(date(2026, 11, 17), {}) == date(2027, 1, 1)  # 45 days before
    assert warning_due(date(2027, 1, 5), {}) == date(2027, 1, 5)  # already uncovered
    assert warning_due(date(2026, 11, 17), {2027: year}) is None


def test_an_added_year_is_what_the_policy_decides_on(tmp_path: Path) -> None:
    folder = tmp_path / "calendar"
    folder.mkdir()

    def at(profile_calendars: Path | None, day: int) -> tuple[bool, str | None]:
        profile = load_profile("cn-default", calendars=profile_calendars)
        decision = decide(
            NumberFacts("+8613812348000"),
            PersonFacts(1, ContactType.DEBTOR),
            CaseFacts(1),
            AttemptHistory(),
            datetime(2027, 1, day, 10, tzinfo=SHANGHAI),
            profile,
        )
        return decision.allowed, decision.rule_id

    assert at(folder, 5) == (False, "law.statutory_holidays")  # nothing added yet
    year_file(folder, name="cn-2027.toml")
    assert at(folder, 5) == (True, None)
    assert at(folder, 1) == (False, "law.statutory_holidays")
    with_year = load_profile("cn-default", calendars=folder)
    assert with_year.ruleset != load_profile("cn-default").ruleset  # decisions name the calendar


def test_calendar_status_and_add_on_the_command_line(
    tmp_path: Path,
    sample_db: str,  # noqa: F811
    sessions: SessionFactory,
) -> None:
    status = run(["calendar", "status", "--at", "2026-12-01 09:00"], tmp_path, sample_db)
    assert status.returncode == 1, status.stderr
    assert "2026：已覆盖（chinese-calendar）" in status.stdout
    assert "2027：未覆盖：自 2027-01-01 起所有电话都会被拦截" in status.stdout
    check = run(["policy", "check", "cn-default", "--at", "2026-12-01 09:00"], tmp_path, sample_db)
    assert "2027：未覆盖" in check.stdout, check.stderr
    january = ["schedule", "preview", "--at", "2027-01-05 10:00", "--json"]
    before = json.loads(run(january, tmp_path, sample_db).stdout)
    assert not before["dialable"]

    bad = year_file(tmp_path, MADE_UP_2027.replace('"2027-02-20"]', '"2027-02-22"]'), "bad.toml")
    refused = run(["calendar", "add", str(bad)], tmp_path, sample_db)
    assert refused.returncode == 3
    # the command line speaks the console's default language
    assert f"{bad}: workdays[1]：2027-02-22 是星期一：调休上班日必须在周末" in refused.stderr
    assert not (tmp_path / "var" / "calendar").exists()

    good = year_file(tmp_path)
    dry = run(["calendar", "add", str(good), "--dry-run"], tmp_path, sample_db)
    assert dry.returncode == 0, dry.stderr
    assert "2027-02-06 Sat: weekend → adjusted working day" in dry.stdout
    assert "nothing was added" in dry.stdout and not (tmp_path / "var" / "calendar").exists()
    added = run(["calendar", "add", str(good), "--actor", "admin1"], tmp_path, sample_db)
    assert added.returncode == 0 and "kept as cn-2027 v1" in added.stdout, added.stderr
    again = run(["calendar", "add", str(good)], tmp_path, sample_db)
    assert "nothing changed" in again.stdout
    good.write_text(MADE_UP_2027.replace("test data", "test data, second"), encoding="utf-8")
    assert "kept as cn-2027 v2" in run(["calendar", "add", str(good)], tmp_path, sample_db).stdout

    status = run(["calendar", "status", "--at", "2026-12-01 09:00"], tmp_path, sample_db)
    assert status.returncode == 0 and "2027：已覆盖（管理员录入）" in status.stdout
    after = json.loads(run(january, tmp_path, sample_db).stdout)
    assert after["dialable"]
    with sessions() as session:
        kept = session.scalars(
            select(ConfigVersion.version).where(ConfigVersion.kind == "calendar")
        ).all()
        audit = session.scalars(select(AuditLog.action).where(AuditLog.object_type == "calendar"))
        assert sorted(kept) == [1, 2] and list(audit) == ["calendar.add", "calendar.add"]
