"""A profile whose only use of the calendar is working-day spacing (``min_interval`` with
``working_days``, no statutory-holiday rule) still needs every year it will count working
days in: calendar status (and so ``policy check`` and the admins' banner) says a year is not
covered, since the spacing blocks every call it cannot count in that year."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from compliance.policy import load_profile
from console.calendars import needs_calendar, report

HEAD = 'id = "hx-spacing"\nversion = "1"\nclock = "centre"\ntimezone = "Asia/Shanghai"\n'
WINDOW = (
    '[[rules]]\nid = "bank.window"\nlayer = "bank"\nkind = "window"\nstart = "09:00"\n'
    'end = "18:00"\nsource = "a contract"\n'
)
SPACING = (
    '[[rules]]\nid = "bank.spacing"\nlayer = "bank"\nkind = "min_interval"\nper = "person"\n'
    '{unit}\nsource = "a contract"\n'
)


def profile(tmp_path: Path, *rules: str) -> Path:
    path = tmp_path / "hx-spacing.toml"
    path.write_text(HEAD + "".join(rules), encoding="utf-8")
    return path


def test_working_day_spacing_needs_the_calendar(tmp_path: Path) -> None:
    spacing = load_profile(profile(tmp_path, WINDOW, SPACING.format(unit="working_days = 2")))
    assert needs_calendar(spacing)
    lines, covered = report(spacing, date(2026, 12, 1))
    assert not covered
    assert any(line.startswith("  2027：未覆盖") for line in lines), lines


def test_hours_spacing_and_a_window_need_none(tmp_path: Path) -> None:
    hours = load_profile(profile(tmp_path, WINDOW, SPACING.format(unit="hours = 24")))
    assert not needs_calendar(hours)
    assert report(hours, date(2026, 12, 1))[1]
