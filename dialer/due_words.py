"""Why a case is due, in the scheduler's two languages: each reason a pair of Chinese and
English (pure).

The kept schedule stores both (``schedule_entry.reason_zh``/``reason_en``), so that the
console shows its reader's language on a kept row as on a computed one (issue 20); the CLI
and the JSON keep the English (``reason``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple


class Why(NamedTuple):
    """One reason in Chinese and in English."""

    zh: str
    en: str


def first_call(deadline: datetime | None) -> Why:
    if deadline is None:
        return Why(
            "首次联系：缺少当年工作日日历，截止时间不明，现在联系",
            "first call: deadline unknown (no calendar for the year), call now",
        )
    return Why(
        f"首次联系截止 {deadline:%Y-%m-%d %H:%M}", f"first call due by {deadline:%Y-%m-%d %H:%M}"
    )


def promised(day: date) -> Why:
    return Why(f"承诺 {day} 还款：跟进", f"promised to pay on {day}: follow up")


def past_due(days: int) -> Why:
    return Why(f"逾期 {days} 天", f"{days} days past due")


def not_reached_days(days: int | None) -> Why:
    return Why(f"{days} 天以上未联系上", f"not reached for {days}+ days")


def not_reached_working_days(days: int) -> Why:
    return Why(
        f"{days} 个工作日以上未联系上（失联）", f"not reached for {days}+ working days (失联)"
    )


LOST_UNKNOWN = Why(
    "失联：缺少当年工作日日历，现在联系",
    "lost contact: working days unknown (no calendar for the year), call now",
)
