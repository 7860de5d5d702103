"""Is a date a statutory holiday in mainland China? Never a guess.

Years the profile lists (an admin's data) win; other years come from
``chinese-calendar``; a year neither knows is ``UNKNOWN`` and blocks calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

import chinese_calendar
from pydantic import BaseModel, ConfigDict, Field, model_validator

from compliance.said import N_, SaidError


class CalendarYear(BaseModel):
    """An admin's statutory holidays and adjusted working days (调休) for one year."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    year: int = Field(ge=2000, le=2100)
    holidays: tuple[date, ...]
    workdays: tuple[date, ...] = ()

    @model_validator(mode="after")
    def _dates_in_year(self) -> CalendarYear:
        stray = [d for d in (*self.holidays, *self.workdays) if d.year != self.year]
        if stray:
            days = tuple(map(str, stray))
            raise SaidError(N_("%(days)s 不在 %(year)s 年内"), days=days, year=self.year)
        both = set(self.holidays) & set(self.workdays)
        if both:
            days = tuple(map(str, sorted(both)))
            raise SaidError(N_("%(days)s 既是假日又是调休上班日"), days=days)
        return self


class DayKind(StrEnum):
    COLLECTION_DAY = "collection_day"
    """A working day, an adjusted working day (调休) or an ordinary weekend."""
    STATUTORY_HOLIDAY = "statutory_holiday"
    UNKNOWN_YEAR = "unknown_year"


def day_kind(day: date, admin_years: Mapping[int, CalendarYear]) -> DayKind:
    """Classify ``day`` from the admin's data for its year, else the library's."""
    year = admin_years.get(day.year)
    if year is not None:
        return DayKind.STATUTORY_HOLIDAY if day in year.holidays else DayKind.COLLECTION_DAY
    return _library_day_kind(day)


@lru_cache(maxsize=4096)
def _library_day_kind(day: date) -> DayKind:
    try:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return DayKind.UNKNOWN_YEAR
    # Ordinary weekends are holidays without a festival name: they are collection days.
    return DayKind.STATUTORY_HOLIDAY if is_holiday and name else DayKind.COLLECTION_DAY


def is_working_day(day: date, admin_years: Mapping[int, CalendarYear]) -> bool | None:
    """Monday–Friday or 调休, and not a statutory holiday; None for an unknown year."""
    year = admin_years.get(day.year)
    if year is not None:
        if day in year.holidays:
            return False
        return day in year.workdays or day.weekday() < 5
    return _library_is_workday(day)


@lru_cache(maxsize=4096)
def _library_is_workday(day: date) -> bool | None:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


WORKING_DAY_REACH = 60
"""How many calendar days (beyond ``2 n``) :func:`working_days_later` walks at most: far more
than any run of days off (the longest, Spring Festival with its weekends, is about ten), so
reaching it means the data is broken, and the answer is "unknown", never a guess."""

LONGEST_DAYS_OFF = 14
"""A bound on a run of days off (weekends, holidays) for history look-backs: the longest
known is 10 (2020's extended Spring Festival)."""


@dataclass(frozen=True, slots=True)
class WorkingDayCount:
    """The ``n``-th working day after a day, or the first day whose year no calendar knows."""

    day: date | None
    """The working day reached; None when an unknown year came first."""
    unknown: date | None = None
    """The first day of an unknown year met on the way (then ``day`` is None)."""


def working_days_later(
    start: date, n: int, admin_years: Mapping[int, CalendarYear]
) -> WorkingDayCount:
    """The ``n``-th working day after ``start`` (``start`` itself not counted; ``n`` = 0 gives
    ``start``). Weekends and statutory holidays are skipped, adjusted working days (调休)
    count. An unknown year on the way stops the count: the caller must fail closed."""
    day, left = start, n
    for _ in range(2 * n + WORKING_DAY_REACH):
        if left == 0:
            return WorkingDayCount(day)
        day += timedelta(days=1)
        working = is_working_day(day, admin_years)
        if working is None:
            return WorkingDayCount(None, day)
        left -= int(working)
    return WorkingDayCount(None, day)


ADD_YEAR_ZH = "管理员需录入国务院节假日安排（callwarden calendar add FILE 或 /admin/calendar 页）"
ADD_YEAR_EN = (
    "an admin must add the State Council's schedule (callwarden calendar add FILE, "
    "or /admin/calendar)"
)
"""What a refusal for a year no calendar knows tells the admin to do (the checked way)."""


def library_knows(year: int) -> bool:
    """Whether ``chinese-calendar`` has the whole year (it knows years up to its release)."""
    return all(
        _library_day_kind(day) != DayKind.UNKNOWN_YEAR
        for day in (date(year, 1, 1), date(year, 12, 31))
    )


def working_day_label(day: date, admin_years: Mapping[int, CalendarYear]) -> str:
    """``working day``, ``adjusted working day``, ``weekend``, ``holiday`` or ``unknown``."""
    kind = day_kind(day, admin_years)
    if kind == DayKind.UNKNOWN_YEAR:
        return "unknown"
    if kind == DayKind.STATUTORY_HOLIDAY:
        return "holiday"
    working = is_working_day(day, admin_years)
    if day.weekday() >= 5:
        return "adjusted working day" if working else "weekend"
    # a weekday off without a festival's name would be a holiday too; the library names them
    return "working day" if working else "holiday"
