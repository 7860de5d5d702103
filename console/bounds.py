"""The calendar a console filter or a command's ``--at`` may name, and the numbers a
command-line option may take. Pure.

Far wider than any call a centre makes, and far enough from the ends of Python's calendar
(and the databases') that a policy's look back and ahead from it never overflows.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from console.errors import UsageError
from store.said import N_, Said, SaidError

FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def day_in_range(day: date, field: str | Said) -> date:
    """``day``, or a SaidError (a ValueError) naming ``field`` (a form's label, say) when it
    lies outside FIRST_DAY..LAST_DAY."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise SaidError(
            N_("%(field)s：%(day)s 超出 %(first)s … %(last)s"),
            field=field,
            day=day.isoformat(),
            first=FIRST_DAY,
            last=LAST_DAY,
        )
    return day


def moment_in_range(moment: datetime, field: str | Said) -> datetime:
    """Like :func:`day_in_range` for an instant (its own calendar day is checked)."""
    day_in_range(moment.date(), field)
    return moment


def parse_at(text: str, zone: str, field: str = "--at") -> datetime:
    """``2026-12-01 08:05`` on the centre's clock (``zone``), or with an explicit offset.

    A day near the ends of the calendar is refused: the policy looks days back and ahead of
    it, and that arithmetic must not overflow. Raises :class:`UsageError` naming ``field``.
    """
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        message = N_("%(field)s：不是日期时间：%(text)r（格式为 YYYY-MM-DD HH:MM）")
        raise UsageError(message, field=field, text=text) from exc
    try:
        return moment_in_range(
            parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(zone)), field
        )
    except SaidError as exc:
        raise UsageError(exc.said.msgid, **exc.said.params) from exc


def _bounded(kind: type[int] | type[float], low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a finite number in [low, high] (NaN, inf and 1e308 are usage errors,
    not a traceback or a negative SQL LIMIT later on)."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"not a {kind.__name__}: {text!r}") from exc
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"{text!r} is not between {low:g} and {high:g}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its message
    return parse


COUNT = _bounded(int, 1, 10**9)
ROW_ID = _bounded(int, 1, 2**63 - 1)
"""A row's id on the command line (both databases hold signed 64-bit ids)."""
PORT = _bounded(int, 1, 65535)
PORT_OR_FREE = _bounded(int, 0, 65535)
"""0: a free port, chosen at start."""
SECONDS = _bounded(float, 0, 10**7)
RATE = _bounded(float, 0.001, 10_000)
