"""Routine collection calls, for measuring the detector on the kind of speech it mostly hears.

The labelled calls are built of traps: nearly every line is a violation or a
compliant sentence that looks like one. A working day's calls are mostly
routine: identity checks, the amount and the due date, payment channels,
excuses and promises, a few minutes each. These calls are assembled from such
lines (written for this bench, each said in real compliant calls), and every
``violation_every``-th call also carries one labelled call's lines, traps and
violations included.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from compliance.detector import CallContext, Utterance

CALLS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "calls"

_NAMES = tuple(
    [
        "李明",
        "王芳",
        "张强",
        "刘洋",
        "陈刚",
        "赵磊",
        "孙丽",
        "周杰",
        "吴涛",
        "郑华",
        "冯敏",
        "何军",
        "马超",
        "林静",
        "黄勇",
    ]
)
_OPENING = (
    ("callee", "喂，你好，哪位？"),
    ("agent", "您好，请问是{name}先生吗？"),
    ("callee", "是我，你是哪里？"),
    ("agent", "我是东方银行委托的催收专员，工号三零二一，本次通话全程录音。"),
    ("agent", "今天给您来电，是想跟您核对一下您信用卡账单的情况。"),
    ("callee", "哦，你说吧，我现在在开车，你说快一点。"),
)
_MIDDLE = (
    ("agent", "您的信用卡已经逾期{days}天，目前欠款{amount}元，其中最低还款额是{low}元。"),
    ("agent", "请问您这个月的还款是怎么安排的？"),
    ("callee", "我最近工作上有点变动，工资晚发了半个月，手头确实比较紧。"),
    ("callee", "我之前一直都是按时还的，就是这两个月家里事情多。"),
    ("agent", "理解您的情况，那您看这个月能先处理多少？"),
    ("callee", "我先还{low}块可以吗？剩下的下个月发了工资再还。"),
    ("agent", "可以的，那我这边给您记录一下，{date}之前先还{low}元。"),
    ("agent", "还款可以通过手机银行、银行柜台或者自动还款，都是银行的官方渠道。"),
    ("callee", "手机银行我会用，就在那个还款的页面操作是吧？"),
    ("agent", "对，在信用卡还款里面选择这张卡，输入金额就可以了。"),
    ("agent", "还款以后一般一到两个工作日到账，到账以后账单会更新。"),
    ("callee", "那我还了以后还需要给你们打电话说一声吗？"),
    ("agent", "不需要的，系统会自动更新，您保留好还款记录就可以。"),
    ("callee", "好的，那利息是怎么算的，我看账单上多了好多。"),
    ("agent", "利息和费用是按照合同约定计算的，具体明细您可以查看账单或者咨询银行客服。"),
    ("callee", "行，我回头看一下账单。"),
    ("agent", "另外您的联系地址和工作单位有没有变化？需要的话我帮您更新一下。"),
    ("callee", "地址没变，还是原来那个。"),
    ("agent", "好的，那联系电话还是这个号码对吧？"),
    ("callee", "对，就这个号码，白天可能不方便接，你们晚上六点以后打。"),
    ("agent", "好的，我备注一下您方便接听的时间。"),
    ("callee", "我这个月二十号发工资，发了就还。"),
    ("agent", "那我们约定{date}前还款，到时候我再跟您确认一下。"),
    ("callee", "能不能晚几天，月底之前肯定还上。"),
    ("agent", "还款日期以您的实际情况为准，建议您尽早处理，避免产生更多费用。"),
)
_CLOSING = (
    ("callee", "好的，我知道了，还有别的事吗？"),
    ("agent", "没有了，感谢您的配合，祝您生活愉快，再见。"),
    ("callee", "好，再见。"),
)


def _call(rng: random.Random, lines: int) -> list[Utterance]:
    values = {
        "name": rng.choice(_NAMES),
        "days": str(rng.randint(15, 120)),
        "amount": str(rng.randint(20, 400) * 100),
        "low": str(rng.randint(5, 30) * 100),
        "date": f"{rng.randint(1, 12)}月{rng.randint(1, 28)}号",
    }
    said = [*_OPENING, *rng.sample(_MIDDLE, min(lines, len(_MIDDLE))), *_CLOSING]
    out, at = [], 0.0
    for speaker, text in said:
        line = text.format(**values)
        seconds = len(line) / 4.5  # about 4.5 characters a second on the phone
        out.append(Utterance(speaker, at, at + seconds, line))  # type: ignore[arg-type]
        at += seconds + 0.6
    return out


def _labelled() -> list[tuple[list[Utterance], str]]:
    calls = []
    for path in sorted(CALLS.glob("*.json")):
        label = json.loads(path.read_text(encoding="utf-8"))
        lines = [
            Utterance(u["speaker"], u["start"], u["end"], u["text"]) for u in label["transcript"]
        ]
        calls.append((lines, label["contact_type"]))
    return calls


def routine_calls(
    min_chars: int, violation_every: int = 20, seed: int = 5
) -> list[tuple[list[Utterance], CallContext]]:
    """Calls of about 3 minutes (700–900 characters), one in ``violation_every`` with a
    labelled call's lines (and its contact type) spliced in."""
    rng = random.Random(seed)
    labelled = _labelled()
    out: list[tuple[list[Utterance], CallContext]] = []
    chars = 0
    while chars < min_chars:
        lines, contact = _call(rng, rng.randint(18, 25)), "debtor"
        if len(out) % violation_every == violation_every - 1:
            extra, contact = labelled[len(out) // violation_every % len(labelled)]
            lines[4:4] = extra
        out.append((lines, CallContext(contact)))
        chars += sum(len(u.text) for u in lines)
    return out
