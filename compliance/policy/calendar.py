"""Is a date a statutory holiday in mainland China? Never a guess.

Years the profile lists (an admin's data) win; other years come from
``chinese-calendar``; a year neither knows is ``UNKNOWN`` and blocks calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from functools import lru_cache

import chinese_calendar

from compliance.policy.profile import CalendarYear


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
