"""What one transcript line says about the call: a promise, a refusal, a complaint, a dispute…

Pure rules over normalised text. The hard part of Chinese here is 还: huán (pay back) in
我明天还, hái (still) in 还没发工资 / 还有完没完 / 还要用. A line counts as a promise only
when 还 (or 付, 转账…) is the paying verb, is not denied (不还, 还不起), is not about the past
(已经还了), not conditional (有钱再还), and not a mocking refusal (下辈子再还).
"""

from __future__ import annotations

import re
from enum import StrEnum

_NUMERAL_CHARS = "0-9零〇一二两俩三四五六七八九十百千万"
# 还 as "still" (hái): these never follow the paying 还.
_HAI = "没|有|要|是|在|得|挺|好|行|可以|算|真|想|让|不错|说|敢|欠|剩|差|会|能|那|这|用|给我|早|行吧"
_PAY = re.compile(
    rf"(?:还(?!{_HAI})|换(?=[{_NUMERAL_CHARS}])|付款|付钱|打款|转账|转给|转过去|交钱|结清|缴)"
)
_DENIED_BEFORE = re.compile(r"(?:不|没|别|没法|无法|不会|不想|不能|不用|不打算|凭什么)[再就先]?$")
_DENIED_AFTER = re.compile(r"^(?:不起|不了|不上|不完|不出)")
_PAST = re.compile(r"已经.{0,3}(?:还|付|转)|还过了|还了(?!吧|一部分)|昨天.{0,4}还")
_CONDITIONAL = re.compile(r"如果|要是|有钱|的话|看情况|再说|想想|想还|可是|但是")
_MOCKING = re.compile(r"下辈子|做梦|等我死|不可能")
_QUESTION = re.compile(r"[？?]$|吗|怎么还|还到哪|还给谁|哪里|哪儿|多少")


class Cue(StrEnum):
    """What a callee line is about, for the outcome and the summary."""

    COMPLAINT = "complaint"
    WRONG_NUMBER = "wrong_number"
    THIRD_PARTY = "third_party"
    PROMISE = "promise"
    REFUSAL = "refusal"
    NEGOTIATION = "negotiation"
    DISPUTE = "dispute"


CUE_PATTERNS: dict[Cue, re.Pattern[str]] = {
    Cue.COMPLAINT: re.compile(
        r"投诉|举报|告你|报警|监管|消费者协会|消协|热线|(?<!\d)123(?:45|78)(?!\d)|银保监|曝光|"
        r"录下来|找律师"
    ),
    Cue.WRONG_NUMBER: re.compile(
        r"打错|不认识(?:他|她|这个人)|新办的|以前的机主|没这个人|没有这个人|机主"
    ),
    Cue.THIRD_PARTY: re.compile(
        r"我是(?:他|她)(?:的)?(?:妈妈|母亲|爸爸|父亲|老婆|妻子|老公|丈夫|同事|朋友|表哥|表姐|"
        r"表弟|表妹|哥哥|姐姐|弟弟|妹妹|儿子|女儿|领导|家属|亲戚|邻居|家人|舅舅|姑姑|阿姨)"
        r"|(?:他|她)(?:今天)?不在|(?:他|她)出差|(?:他|她)(?:已经)?离职|(?:他|她)已经搬|"
        r"转告|跟(?:他|她)说|这里是|这是.{0,4}部|前台|跟(?:他|她)早就?不来往|不是(?:他|她)的家属"
    ),
    Cue.REFUSAL: re.compile(
        r"不还|不会还|不想还|没钱|没有钱|还不起|还不了|别催|爱怎么样|下辈子|没法还|不可能还|"
        r"能怎么样|拿不出|还不上"
    ),
    Cue.NEGOTIATION: re.compile(
        r"分期|减免|免掉|免了|免一些|减掉|减一些|少还|只想还本金|本金|宽限|缓几天|延期|协商|"
        r"想办法|凑钱|问问银行|还一部分|利息"
    ),
    Cue.DISPUTE: re.compile(
        r"不是我欠|我没欠|已经还了|还过了|核实|骗子|冒充|凭什么|搞错|证明|哪个派出所|警号|"
        r"这么多|太高|不对"
    ),
}


def pay_verbs(line: str) -> list[tuple[int, int, bool]]:
    """Each paying verb in the line: (start, end, denied)."""
    found = []
    for m in _PAY.finditer(line):
        before, after = line[max(0, m.start() - 4) : m.start()], line[m.end() : m.end() + 3]
        denied = bool(_DENIED_BEFORE.search(before) or _DENIED_AFTER.match(after))
        found.append((m.start(), m.end(), denied))
    return found


def is_promise(line: str, has_amount_or_day: bool) -> bool:
    """The speaker commits to pay: a paying verb, not denied, past, conditional or mocking.

    A question is a promise only when it names an amount or a day (我月底还，行吗?): 我怎么还?
    asks where to pay, it does not say when.
    """
    plain = line.replace("不是不", "")  # 我不是不想还: neither refusal nor promise
    if _PAST.search(plain) or _CONDITIONAL.search(plain) or _MOCKING.search(plain):
        return False
    if not any(not denied for _, _, denied in pay_verbs(plain)):
        return False
    return has_amount_or_day or not _QUESTION.search(plain)


_DENIED_COMPLAINT = re.compile(
    r"(?:不会|不想|不打算|不用|没想|没有|没|不是|不)[去再要想]?(?:投诉|举报|报警|曝光)"
)
"""A callee who says they will not complain has not complained (我不会投诉你们, 我不是要投诉你)."""


def cues(line: str) -> set[Cue]:
    """The cues a callee line carries (a promise is judged by ``is_promise``, not here)."""
    plain = _DENIED_COMPLAINT.sub("", line.replace("不是不", ""))
    return {cue for cue, pattern in CUE_PATTERNS.items() if pattern.search(plain)}
