"""A year's statutory holidays as the State Council publishes them, and calendar health (pure).

``chinese-calendar`` knows the years up to its release; a later year is entered by an admin
as a data file (``callwarden calendar add FILE``), checked here before it is kept:

    year = 2027
    source = "国务院办公厅关于2027年部分节假日安排的通知"
    workdays = ["2027-02-20"]                 # adjusted working days (调休)
    [[holidays]]
    name = "春节"
    first = "2027-02-06"
    last = "2027-02-12"                         # inclusive

Parsing takes the file's bytes (the caller reads it); nothing here reads a clock or a disk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compliance.errors import ProfileError
from compliance.files import TomlUnreadable, read_toml
from compliance.policy.calendar import (
    LONGEST_DAYS_OFF,
    CalendarYear,
    library_knows,
    working_day_label,
)
from compliance.problems import at, faults, refused_at, said
from compliance.said import N_, Said

WARN_DAYS = 45
"""An admin is warned this many days before the first day no calendar covers."""
HORIZON_DAYS = 90
"""How far ahead calendar health looks."""
MAX_YEAR_BYTES = 100_000
"""A year's file is refused past this size: the State Council's schedule fits in a few
hundred bytes, and every profile load parses every added year again."""


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HolidayRange(_Spec):
    name: str = Field(min_length=1)
    first: date
    last: date


class YearFile(_Spec):
    year: int = Field(ge=2000, le=2100)
    source: str = Field(min_length=1)
    """The notice it comes from (国务院办公厅通知), so the data can be checked against it."""
    holidays: tuple[HolidayRange, ...] = Field(min_length=1)
    workdays: tuple[date, ...] = ()


WEEKDAYS = (N_("星期一"), N_("星期二"), N_("星期三"), N_("星期四"), N_("星期五"))
_TOO_BIG = N_("超出一年的放假安排所需的大小（至多 %(most)s 字节）")
_OTHER_YEAR = N_("%(day)s 不在 %(year)s 年内")
_BEFORE_FIRST = N_("%(last)s 早于开始日期（%(first)s）")
_TAKEN = N_("%(day)s 已在“%(holiday)s”中")
_WEEKDAY_WORKDAY = N_("%(day)s 是%(weekday)s：调休上班日必须在周末")
_ALSO_HOLIDAY = N_("%(day)s 同时是假日（%(holiday)s）")
_TWICE = N_("有日期重复列出")
_LONG_RUN = N_("%(first)s 至 %(last)s 连续 %(days)s 天没有工作日（含周末）；至多 %(most)s 天")


def read_policy_toml(path: Path, raw: bytes) -> dict[str, Any]:
    """A policy file's (profile or calendar year) TOML table, or a ProfileError naming ``path``."""
    try:
        return read_toml(path, raw)
    except TomlUnreadable as exc:
        raise ProfileError([exc.said]) from exc


def parse_year(path: Path, raw: bytes) -> CalendarYear:
    """Validate one year's file; every problem names the file and the field."""
    if len(raw) > MAX_YEAR_BYTES:
        raise ProfileError([at(str(path), said(_TOO_BIG, most=MAX_YEAR_BYTES))])
    data = read_policy_toml(path, raw)
    try:
        spec = YearFile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError([_describe(path, data, err) for err in faults(exc.errors())]) from exc
    problems = [at(f"{path}: {key}", what) for key, what in _check(spec) or _long_runs_off(spec)]
    if problems:
        raise ProfileError(problems)
    days = [h.first + timedelta(days=i) for h in spec.holidays for i in _span(h)]
    return CalendarYear(year=spec.year, holidays=tuple(sorted(days)), workdays=spec.workdays)


def _describe(path: Path, data: dict[str, Any], err: Any) -> Said:
    loc = [str(p) for p in err["loc"]]
    if len(loc) >= 2 and loc[0] == "holidays" and loc[1].isdigit():
        entries = data.get("holidays", [])
        index = int(loc[1])
        entry = entries[index] if isinstance(entries, list) and index < len(entries) else {}
        name = entry.get("name") if isinstance(entry, dict) else None
        loc = [f"holidays[{index}]" + (f" ({name})" if name else ""), *loc[2:]]
    return refused_at(str(path), loc, err)


def _span(holiday: HolidayRange) -> range:
    return range((holiday.last - holiday.first).days + 1)


def _check(spec: YearFile) -> list[tuple[str, Said]]:
    """The rules a State Council schedule keeps: within its year, holidays in order and apart,
    adjusted working days on weekends and never on a holiday."""
    problems: list[tuple[str, Said]] = []
    taken: dict[date, str] = {}
    for index, holiday in enumerate(spec.holidays):
        field = f"holidays[{index}] ({holiday.name})"
        for key, day in (("first", holiday.first), ("last", holiday.last)):
            if day.year != spec.year:
                problems.append((f"{field}.{key}", said(_OTHER_YEAR, day=day, year=spec.year)))
        if holiday.last < holiday.first:
            problems.append(
                (f"{field}.last", said(_BEFORE_FIRST, last=holiday.last, first=holiday.first))
            )
            continue
        for i in _span(holiday):
            day = holiday.first + timedelta(days=i)
            if day in taken:
                problems.append((field, said(_TAKEN, day=day, holiday=taken[day])))
                break
            taken[day] = holiday.name
    for index, day in enumerate(spec.workdays):
        field = f"workdays[{index}]"
        if day.year != spec.year:
            problems.append((field, said(_OTHER_YEAR, day=day, year=spec.year)))
        if day.weekday() < 5:
            weekday = Said(WEEKDAYS[day.weekday()])
            problems.append((field, said(_WEEKDAY_WORKDAY, day=day, weekday=weekday)))
        if day in taken:
            problems.append((field, said(_ALSO_HOLIDAY, day=day, holiday=taken[day])))
    if len(set(spec.workdays)) != len(spec.workdays):
        problems.append(("workdays", said(_TWICE)))
    return problems


def _long_runs_off(spec: YearFile) -> list[tuple[str, Said]]:
    """History look-backs (working-day spacing) assume no run of days off is longer than
    ``LONGEST_DAYS_OFF``; a holiday that makes one longer is a mistake in the data (a
    typo in ``last``), and would let calls come closer together than the rules allow."""
    days = {h.first + timedelta(days=i) for h in spec.holidays for i in _span(h)}
    workdays = set(spec.workdays)

    def off(day: date) -> bool:
        return day in days or (day.weekday() >= 5 and day not in workdays)

    problems: list[tuple[str, Said]] = []
    for index, holiday in enumerate(spec.holidays):
        first, last = holiday.first, holiday.last
        while first.year == spec.year and off(first - timedelta(days=1)):
            first -= timedelta(days=1)
        while last.year == spec.year and off(last + timedelta(days=1)):
            last += timedelta(days=1)
        length = (last - first).days + 1
        if length > LONGEST_DAYS_OFF:
            run = said(_LONG_RUN, first=first, last=last, days=length, most=LONGEST_DAYS_OFF)
            problems.append((f"holidays[{index}] ({holiday.name})", run))
    return problems


@dataclass(frozen=True, slots=True)
class Change:
    day: date
    before: str
    after: str


def changes(year: CalendarYear, admin_years: Mapping[int, CalendarYear]) -> list[Change]:
    """The days whose kind (working day, weekend, holiday) the new year's data changes.

    Against the calendar in force; for a year nobody knows yet, against a plain
    Monday–Friday week (every call that year is blocked until then anyway)."""
    others = {y: c for y, c in admin_years.items() if y != year.year}
    known = library_knows(year.year) or year.year in admin_years
    found = []
    day = date(year.year, 1, 1)
    while day.year == year.year:
        after = working_day_label(day, {**others, year.year: year})
        before = working_day_label(day, admin_years) if known else _plain(day)
        if before != after:
            found.append(Change(day, before, after))
        day += timedelta(days=1)
    return found


def _plain(day: date) -> str:
    return "working day" if day.weekday() < 5 else "weekend"


@dataclass(frozen=True, slots=True)
class YearCover:
    year: int
    source: str | None
    """``admin data`` or ``chinese-calendar``; None: not covered."""


def coverage(
    today: date, admin_years: Mapping[int, CalendarYear], days: int = HORIZON_DAYS
) -> list[YearCover]:
    """Every year the next ``days`` days touch, and what covers it."""
    last = today + timedelta(days=days)
    found = []
    for year in range(today.year, last.year + 1):
        if year in admin_years:
            found.append(YearCover(year, "admin data"))
        elif library_knows(year):
            found.append(YearCover(year, "chinese-calendar"))
        else:
            found.append(YearCover(year, None))
    return found


def first_uncovered_day(today: date, covers: list[YearCover]) -> date | None:
    years = [c.year for c in covers if c.source is None]
    return max(today, date(years[0], 1, 1)) if years else None


def warning_due(today: date, admin_years: Mapping[int, CalendarYear]) -> date | None:
    """The first uncovered day when an admin must be warned now (from ``WARN_DAYS`` before)."""
    first = first_uncovered_day(today, coverage(today, admin_years))
    if first is None or (first - today).days > WARN_DAYS:
        return None
    return first
