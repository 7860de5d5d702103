"""Days said in one line, resolved against the call's local date: 明天, 周五, 下个月15号, 月底.

Pure: the caller passes the call's date (``today``); nothing here reads a clock. A weekday
alone is the coming one (周五 said on a Wednesday is two days on; said on a Friday, today);
这周/下周 end on their Sunday; a month said without a day ends on its last day; N号 alone is
the next 15th to come. Vague time (过几天, 有钱了) resolves to nothing.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from compliance.notes_draft.numerals import number_value

_N = r"(?:[0-9]{1,2}|[一二三四五六七八九十两]{1,3})"
_WEEK = r"(?:周|星期|礼拜)"
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_WEEKDAYS.update({str(n): n - 1 for n in range(1, 8)})
_RELATIVE_DAYS = {
    "大后天": 3,
    "后天": 2,
    "明天": 1,
    "明儿": 1,
    "明早": 1,
    "明晚": 1,
    "今天": 0,
    "今晚": 0,
    "今儿": 0,
    "马上": 0,
    "立刻": 0,
    "立即": 0,
    "现在": 0,
    "这就": 0,
    "当天": 0,
}
DAY, PERIOD = 2, 1
"""How exact a mention is: a day beats a period (二十号 over 这个月)."""


@dataclass(frozen=True)
class DateMention:
    """A day said in a line; ``start``/``end`` index the normalised line."""

    day: date
    exactness: int
    start: int
    end: int
    taken_back: bool


def _num(text: str) -> int | None:
    value = number_value(text)
    return int(value) if value is not None and value == int(value) else None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _safe(year: int, month: int, dom: int) -> date | None:
    try:
        return date(year, month, dom)
    except ValueError:
        return None


def _day_of_month(m: re.Match[str], today: date) -> date | None:
    rel, month_text, dom_text = m.group("rel"), m.group("month"), m.group("dom")
    dom = _num(dom_text)
    if dom is None:
        return None
    if rel:
        year, month = _add_months(today, 0 if rel[0] in "这本" else 1)
        return _safe(year, month, dom)
    if month_text:
        said = _num(month_text)
        if said is None or not 1 <= said <= 12:
            return None
        found = _safe(today.year, said, dom)
        return found if found is None or found >= today else _safe(today.year + 1, said, dom)
    found = _safe(today.year, today.month, dom)
    if found is None:
        return None  # 30号 said in February: which month is meant is anyone's guess
    if found >= today:
        return found
    year, month = _add_months(today, 1)
    return _safe(year, month, dom)


def _weekday(m: re.Match[str], today: date) -> date:
    wanted = _WEEKDAYS[m.group("wd")]
    rel = m.group("rel") or ""
    monday = today - timedelta(days=today.weekday())
    if rel.startswith("下下"):
        return monday + timedelta(days=14 + wanted)
    if rel.startswith("下"):
        return monday + timedelta(days=7 + wanted)
    if rel:
        return monday + timedelta(days=wanted)
    return today + timedelta(days=(wanted - today.weekday()) % 7)


def _week(m: re.Match[str], today: date) -> date:
    rel = m.group("rel") or ""
    sunday = today + timedelta(days=6 - today.weekday())
    weeks = 2 if rel.startswith("下下") else 1 if rel.startswith("下") else 0
    return sunday + timedelta(days=7 * weeks)


def _month(m: re.Match[str], today: date) -> date:
    """这个月 / 月底: its last day; 下个月: next month's; 月初: the 10th (early in the month)."""
    rel = m.group("rel") or ""
    part = m.group("part") or m.group("part2") or ""
    ahead = rel.startswith("下") or (not rel and part == "初")
    year, month = _add_months(today, 1 if ahead else 0)
    return date(year, month, 10) if part == "初" else _month_end(year, month)


def _within(m: re.Match[str], today: date) -> date | None:
    count = _num(m.group("n"))
    if count is None:
        return None
    days = count * (7 if m.group("unit") != "天" else 1)
    return today + timedelta(days=days)


_Resolver = Callable[[re.Match[str], date], date | None]
_PATTERNS: list[tuple[re.Pattern[str], _Resolver, int]] = [
    (
        re.compile(
            rf"(?:(?P<rel>下个?月|这个?月|本月)|(?<![0-9])(?P<month>{_N})月)?"
            rf"(?<![0-9])(?P<dom>{_N})[号日]"
        ),
        _day_of_month,
        DAY,
    ),
    (
        re.compile(rf"(?P<rel>下下个?|下个?|这个?|本)?{_WEEK}(?P<wd>[一二三四五六日天七1-7])"),
        _weekday,
        DAY,
    ),
    (
        re.compile("|".join(sorted(_RELATIVE_DAYS, key=len, reverse=True))),
        lambda m, today: today + timedelta(days=_RELATIVE_DAYS[m.group()]),
        DAY,
    ),
    (
        re.compile(
            rf"(?:过|在)?(?P<n>{_N})(?:个)?(?P<unit>天|{_WEEK})(?:之内|以内|内|之后|以后|后)"
        ),
        _within,
        DAY,
    ),
    (re.compile(rf"(?P<rel>下下个?|下个?|这个?|本)(?:{_WEEK}|周末)|周末"), _week, PERIOD),
    (
        re.compile(r"(?P<rel>下个?月|这个?月|本月)(?P<part>底|末|初)?|(?:月)(?P<part2>底|末|初)"),
        _month,
        PERIOD,
    ),
    (re.compile(r"年底|年末|年前"), lambda m, today: date(today.year, 12, 31), PERIOD),
]


_TAKEN_BACK_BEFORE = re.compile(r"不是$")
_TAKEN_BACK_AFTER = re.compile(
    r"^(?:之前|以前|前)?(?:还不了|还不起|不行|不可能|不了|没钱|没有钱|不方便)"
)


def date_mentions(line: str, today: date) -> list[DateMention]:
    """Every day said in a normalised line, in the order said; overlapping ones: the longest."""
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    candidates = [
        (m, resolve, exactness)
        for pattern, resolve, exactness in _PATTERNS
        for m in pattern.finditer(line)
    ]
    candidates.sort(key=lambda c: (-(c[0].end() - c[0].start()), c[0].start()))
    for m, resolve, exactness in candidates:
        start, end = m.span()
        if any(start < e and s < end for s, e in taken):
            continue
        day = resolve(m, today)
        if day is None:
            continue
        taken.append((start, end))
        back = bool(
            _TAKEN_BACK_BEFORE.search(line[max(0, start - 3) : start])
            or _TAKEN_BACK_AFTER.match(line[end : end + 6])
        )
        found.append(DateMention(day, exactness, start, end, back))
    return sorted(found, key=lambda d: d.start)
