"""Money said in one line: 五千, 两千三, 5000块, ¥1,200.50, 一万二 — and what is not money.

Pure. A numeral counts as an amount only with a currency word after it (元, 块, 块钱…) or a
paying verb right before it (还五千, 先还两千, 转3000): so 工号二零六八, 尾号1234, a phone
number, 15号, 三个月 and 两次 are never read as money. A mention says whether the speaker
took it back (不是五千, 五千不行), so a correction wins over what it corrects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from compliance.notes_draft.numerals import NUMERAL, number_value

MAX_AMOUNT_CENTS = 1_000_000_000
"""Ten million yuan, the note form's ceiling: a larger number is no promise."""

# Currency after the numeral; 快 and 圆/园 are what ASR writes for 块 and 元.
_CURRENCY_AFTER = re.compile(r"(?:块钱|块|元|圆|园|人民币|快(?=钱|[。，！？,.!?]|$))")
_CURRENCY_BEFORE = re.compile(r"(?:[¥￥]|人民币|RMB)$")
# A paying verb right before the numeral (换 is ASR's 还 when money follows).
_PAYING_BEFORE = re.compile(r"(?:还|付|交|转|打|凑|存|换)(?:了|上|给你们|给银行|给)?$")
# A numeral that counts days, months, times, or names a code is not money.
_NOT_MONEY_AFTER = re.compile(
    r"^(?:号|日|月|天|周|年|点|个|期|次|分|秒|岁|%|成|倍|折|遍|位|家|张|条|星期|礼拜|小时|通|部|楼|路)"
)
_NOT_MONEY_BEFORE = re.compile(
    r"(?:尾号|卡号|账号|帐号|号码|工号|编号|手机|电话|身份证|验证码|第|周|星期|礼拜|[0-9])$"
)
# After a paying verb with no currency word, the numeral must end the phrase: 还一部分, 还一下
# and 还十几万 are not amounts of one or ten yuan.
_PHRASE_END = re.compile(
    r"^(?:$|[。，！？,.!?、；;…~～]|吧|了|啊|呢|的|给|就|先|整|左右|多块|过去|以上)"
)
# In a correction (不是五千，是三千) the bare numbers are the amounts being corrected.
_SAID_IS = re.compile(r"是$")
_TAKEN_BACK_BEFORE = re.compile(r"(?:不是|不到|没有|没)$")
_TAKEN_BACK_AFTER = re.compile(
    r"^(?:[块元钱]*)(?:不行|不够|不可能|还不起|还不了|拿不出|做不到|太多)"
)


@dataclass(frozen=True)
class AmountMention:
    """An amount of money said in a line; ``start``/``end`` index the normalised line."""

    cents: int
    start: int
    end: int
    taken_back: bool
    """Said to deny it: 不是五千, 五千不行."""


def _cents(value: Decimal) -> int | None:
    cents = value * 100
    if cents != cents.to_integral_value() or not 0 < cents <= MAX_AMOUNT_CENTS:
        return None
    return int(cents)


def amount_mentions(line: str) -> list[AmountMention]:
    """Every amount of money in a normalised line, in the order said."""
    found: list[AmountMention] = []
    corrects = "不是" in line
    for match in NUMERAL.finditer(line):
        start, end = match.span()
        before, after = line[max(0, start - 6) : start], line[end : end + 6]
        if _NOT_MONEY_BEFORE.search(before) or _NOT_MONEY_AFTER.match(after):
            continue
        currency = _CURRENCY_AFTER.match(after) or _CURRENCY_BEFORE.search(before)
        introduced = _PAYING_BEFORE.search(before) or (corrects and _SAID_IS.search(before))
        if not (currency or (introduced and _PHRASE_END.match(after))):
            continue
        value = number_value(match.group())
        cents = _cents(value) if value is not None else None
        if cents is None:
            continue
        taken_back = bool(_TAKEN_BACK_BEFORE.search(before) or _TAKEN_BACK_AFTER.match(after))
        found.append(AmountMention(cents, start, end, taken_back))
    return found
