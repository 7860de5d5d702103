"""The calendar a console filter or a command's ``--at`` may name. Pure.

Far wider than any call a centre makes, and far enough from the ends of Python's calendar
(and the databases') that a policy's look back and ahead from it never overflows.
"""

from __future__ import annotations

from datetime import date, datetime

FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def day_in_range(day: date, field: str) -> date:
    """``day``, or ValueError naming ``field`` when it lies outside FIRST_DAY..LAST_DAY."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{field}: {day.isoformat()} is outside {FIRST_DAY} … {LAST_DAY}")
    return day


def moment_in_range(moment: datetime, field: str) -> datetime:
    """Like :func:`day_in_range` for an instant (its own calendar day is checked)."""
    day_in_range(moment.date(), field)
    return moment
