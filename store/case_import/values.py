"""Pure parsers for the amounts and days that banks' files write in many ways.

Each returns the value, or a message saying why the text is not one (the caller adds the
file, row and column).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

MAX_AMOUNT_CENTS = 10**14  # a trillion yuan: anything above is a typo, not a debt


def parse_yuan(raw: str) -> Decimal | str:
    """``1,234.50``, ``¥1,234.50``, ``￥1234.5``, ``1234.50元`` → the amount in yuan."""
    text = raw.replace(",", "").replace("，", "").strip()
    text = text.removeprefix("¥").removeprefix("￥").removesuffix("元").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return f"not a number: {raw!r}"
    if not amount.is_finite():
        return f"not a number: {raw!r}"
    return amount


def yuan_to_cents(amount: Decimal, raw: str) -> int | str:
    """Whole cents, or why not: more than two decimals, or implausibly large."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        return f"more than 2 decimal places: {raw}"
    if abs(cents) >= MAX_AMOUNT_CENTS:
        return f"implausibly large: {raw}"
    return int(cents)


_DAY_FORMATS = (
    # 2026-11-30, 2026/11/30, 2026.11.30, 2026-1-5; an xlsx date cell reads as ISO 8601
    # with a time (2026-11-30T00:00:00), a bank's export often as "2026-11-30 14:05:09".
    re.compile(
        r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?",
        re.ASCII,
    ),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?", re.ASCII),  # 2026年11月30日
    re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII),  # 20261130
)
ACCEPTED_DAYS = "YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYYMMDD or YYYY年MM月DD日"


def parse_day(raw: str) -> date | str:
    """A calendar day written year first. Day-first and month-first forms (30/11/2026,
    11/30/2026) are refused rather than guessed: 01/02/2026 would be either."""
    text = raw.strip()
    for pattern in _DAY_FORMATS:
        found = pattern.fullmatch(text)
        if found is None:
            continue
        year, month, day = (int(part) for part in found.groups())
        try:
            return date(year, month, day)
        except ValueError:
            return f"not a real date: {raw!r}"
    return f"not a date: {raw!r} (write {ACCEPTED_DAYS})"
