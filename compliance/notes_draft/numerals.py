"""Spoken and written numbers as a transcript gives them: 五千, 两千三, 一万二, 3000, 5千, 2.5万.

Pure. ``number_value`` reads one numeral token; ``NUMERAL`` finds the tokens in a line. A
string of bare digits read one by one (工号二零六八, 一三八…) is a code, not a quantity,
so it has no value here: the caller never mistakes an ID read aloud for an amount.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "俩": 2,  # ASR and speech both give 俩 for 两
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
UNITS = {"十": 10, "百": 100, "千": 1000}
MYRIAD = {"万": 10_000, "亿": 100_000_000}

_CN = "零〇一二两俩三四五六七八九十百千万亿"
NUMERAL = re.compile(
    rf"(?:[0-9]+(?:,[0-9]{{3}})*(?:\.[0-9]+)?[{_CN}]*|[{_CN}]+)(?:[0-9]+(?![0-9.,]))?"
)
"""One numeral token: Arabic digits with optional units after (5千, 1万2, 2.5万) or Chinese."""

_ARABIC = re.compile(r"[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?")
MAX_ARABIC_DIGITS = 8
"""Integer digits an amount may have: more is a phone, account or ID number."""


def normalise(text: str) -> str:
    """Full-width digits and letters to ASCII, spaces inside the text dropped (ASR pads them)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _tokens(numeral: str) -> list[Decimal | str] | None:
    """Numbers as Decimals and units as characters; None for something that is no numeral."""
    out: list[Decimal | str] = []
    pos = 0
    while pos < len(numeral):
        arabic = _ARABIC.match(numeral, pos)
        if arabic:
            digits = arabic.group().replace(",", "")
            if len(digits.split(".")[0]) > MAX_ARABIC_DIGITS:
                return None
            try:
                out.append(Decimal(digits))
            except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
                return None
            pos = arabic.end()
            continue
        char = numeral[pos]
        if char in DIGITS:
            out.append(Decimal(DIGITS[char]))
        elif char in UNITS or char in MYRIAD:
            out.append(char)
        else:
            return None
        pos += 1
    return out


def _section(tokens: list[Decimal | str]) -> Decimal | None:
    """A value below ten thousand: 三千五百, 两千三 (elliptic: 2300), 一千零五, 十五."""
    total = Decimal(0)
    current: Decimal | None = None
    last_unit: int | None = None
    zero_between = False
    for token in tokens:
        if isinstance(token, Decimal):
            if current is not None:
                if current != 0:
                    return None  # two numbers in a row: digits read one by one
                zero_between = True
            elif token == 0 and last_unit is not None:
                zero_between = True
                continue
            current = token
            continue
        unit = UNITS[token]
        if last_unit is not None and unit >= last_unit:
            return None
        if current is None and not (token == "十" and last_unit is None):
            return None  # 百 / 千 need a count before them; 十 alone means ten
        total += (Decimal(1) if current is None else current) * unit
        current, last_unit, zero_between = None, unit, False
    if current is not None:
        elliptic = last_unit is not None and not zero_between and current < 10
        total += current * (Decimal(last_unit) / 10) if elliptic and last_unit else current
    return total


def number_value(numeral: str) -> Decimal | None:
    """The quantity a numeral token says, or None when it is a code or not a number."""
    tokens = _tokens(numeral)
    if not tokens:
        return None
    if sum(1 for t in tokens if isinstance(t, Decimal)) > 1 and not any(
        isinstance(t, str) for t in tokens
    ):
        return None  # 二零六八, 1 3 8: digits read one by one
    total = Decimal(0)
    rest = tokens
    for mark in ("亿", "万"):
        if mark in rest:
            cut = rest.index(mark)
            if mark in rest[cut + 1 :]:
                return None
            high = _section(rest[:cut]) if rest[:cut] else None
            if high is None:
                return None
            total += high * MYRIAD[mark]
            rest = rest[cut + 1 :]
            if len(rest) == 1 and isinstance(rest[0], Decimal) and rest[0] < 10:
                return total + rest[0] * MYRIAD[mark] / 10  # 一万二: 12000
    if rest:
        low = _section(rest)
        if low is None:
            return None
        total += low
    return total
