"""The note drafter's pure rules: numbers as said, money and days in a line, the outcome, the
summary — and the hostile lines that must not become a promise (issue 22, item 3)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.detector.findings import Utterance
from compliance.notes_draft import DraftOutcome, NoteDraft, Party, draft_note, yuan
from compliance.notes_draft.amounts import MAX_AMOUNT_CENTS, amount_mentions
from compliance.notes_draft.dates import date_mentions
from compliance.notes_draft.lines import Cue, cues
from compliance.notes_draft.numerals import normalise, number_value
from compliance.notes_draft.score import score_field
from store.notes import NoteOutcome

WEDNESDAY = datetime(2026, 12, 9, 10, 0)
TODAY = WEDNESDAY.date()


def draft(*lines: str, contact: str = "debtor", now: datetime = WEDNESDAY) -> NoteDraft:
    said = [
        Utterance("callee" if line.startswith("C:") else "agent", 0.0, 0.0, line[2:])
        for line in lines
    ]
    return draft_note(said, contact, now)


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("五千", 5000), ("两千三", 2300), ("一万二", 12000), ("三千五百", 3500),
        ("四千五", 4500), ("一千零五", 1005), ("十五", 15), ("两万一千", 21000),
        ("十二万", 120000), ("一万零五百", 10500), ("5000", 5000), ("5千", 5000),
        ("1万2", 12000), ("2.5万", 25000), ("5,000", 5000), ("3000.50", Decimal("3000.50")),
        ("俩千", 2000),
    ],
)  # fmt: skip
def test_numbers_as_said(said: str, value: int | Decimal) -> None:
    assert number_value(said) == value


@pytest.mark.parametrize(
    "code", ["二零六八", "一三八零零一三八零零零", "13800138000", "千千", "五千千"]
)
def test_codes_and_nonsense_have_no_value(code: str) -> None:
    assert number_value(code) is None


_CN_DIGITS = "零一二三四五六七八九"


def _say(n: int) -> str:
    """A number below 10^8 as a careful speaker says it (一万零五百, 三千零五)."""
    if n >= 10_000:
        high, low = divmod(n, 10_000)
        rest = _say(low) if low else ""
        return _say(high) + "万" + ("零" if 0 < low < 1000 else "") + rest
    out, zero = "", False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, unit)
        if digit:
            out += ("零" if zero and out else "") + _CN_DIGITS[digit] + name
            zero = False
        else:
            zero = True
    return out


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=99_999_999))
def test_every_spoken_number_reads_back(n: int) -> None:
    assert number_value(_say(n)) == n


@pytest.mark.parametrize(
    ("line", "cents"),
    [
        ("周五之前还五千", [500000]),
        ("月底还5000块", [500000]),
        ("三千五百元", [350000]),
        ("¥1,200.50", [120050]),
        ("明天换3000快", [300000]),  # ASR: 换 for 还, 快 for 块
        ("先还一部分", []),
        ("还一下", []),
        ("欠了三个月，每天打两次", []),
        ("尾号1234的卡", []),
        ("我的电话是13800138000", []),
        ("工号二零六八", []),
        ("15号还", []),
        ("还十几万", []),
    ],
)
def test_money_in_a_line(line: str, cents: list[int]) -> None:
    assert [m.cents for m in amount_mentions(normalise(line)) if not m.taken_back] == cents


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.sampled_from(["", "元", "块", "还"]))
def test_a_phone_number_is_never_money(phone: str, around: str) -> None:
    for line in (f"{around}{phone}", f"{phone}{around}", f"我明天还，号码{phone}{around}"):
        assert amount_mentions(line) == []
        assert draft(f"C:{line}").promised_amount_cents is None


@pytest.mark.parametrize(
    ("said", "day"),
    [
        ("周五", date(2026, 12, 11)),
        ("星期三", date(2026, 12, 9)),  # said on a Wednesday: today
        ("下周三", date(2026, 12, 16)),
        ("明天", date(2026, 12, 10)),
        ("后天", date(2026, 12, 11)),
        ("大后天", date(2026, 12, 12)),
        ("月底", date(2026, 12, 31)),
        ("下个月15号", date(2027, 1, 15)),
        ("下个月", date(2027, 1, 31)),
        ("二十号", date(2026, 12, 20)),
        ("3号", date(2027, 1, 3)),  # the 3rd has passed this month
        ("一月十号", date(2027, 1, 10)),
        ("这周", date(2026, 12, 13)),
        ("三天之内", date(2026, 12, 12)),
        ("一个星期内", date(2026, 12, 16)),
        ("年底", date(2026, 12, 31)),
    ],
)
def test_days_resolve_against_the_calls_date(said: str, day: date) -> None:
    found = [d.day for d in date_mentions(normalise(said), TODAY)]
    assert found == [day]


def test_days_at_the_end_of_a_month_and_year() -> None:
    new_year = date(2026, 12, 31)
    assert [d.day for d in date_mentions("下个月15号", new_year)] == [date(2027, 1, 15)]
    assert [d.day for d in date_mentions("明天", new_year)] == [date(2027, 1, 1)]
    assert [d.day for d in date_mentions("31号", date(2027, 1, 31))] == [date(2027, 1, 31)]
    assert [d.day for d in date_mentions("30号", date(2027, 2, 1))] == []  # no 30 February


@pytest.mark.parametrize(
    ("lines", "outcome", "cents", "day"),
    [
        (["C:周五之前还五千"], DraftOutcome.PROMISE_TO_PAY, 500000, date(2026, 12, 11)),
        (["C:我下个月15号还两千三"], DraftOutcome.PROMISE_TO_PAY, 230000, date(2027, 1, 15)),
        (["C:我周五还五千。", "C:不是五千，是三千。"], DraftOutcome.PROMISE_TO_PAY, 300000,
         date(2026, 12, 11)),
        (["C:明天还不了，后天还六千。"], DraftOutcome.PROMISE_TO_PAY, 600000, date(2026, 12, 11)),
        (["A:能不能先还两千？", "C:行，周五吧"], DraftOutcome.PROMISE_TO_PAY, 200000,
         date(2026, 12, 11)),
        (["A:什么时候能还？", "C:我手头确实紧，下个月吧。"], DraftOutcome.PROMISE_TO_PAY, None,
         date(2027, 1, 31)),
        # The agent's balance, a threat's numbers: no promise.
        (["A:您的欠款一万二千元。", "C:我后天就还。"], DraftOutcome.PROMISE_TO_PAY, None,
         date(2026, 12, 11)),
        (["A:你今天不还五千就起诉你，明天还吗？", "C:好"], DraftOutcome.OTHER, None, None),
        (["C:我下辈子再还吧。"], DraftOutcome.REFUSED, None, None),
        (["C:我有钱了再还五千。"], DraftOutcome.OTHER, None, None),
        (["C:我昨天已经还了三千。"], DraftOutcome.OTHER, None, None),
        (["C:我想还，可是没有钱。"], DraftOutcome.REFUSED, None, None),
        (["C:我不是不想还。"], DraftOutcome.OTHER, None, None),
        (["C:能不能把利息减掉一些，我实在还不起。"], DraftOutcome.NEGOTIATING, None, None),
        (["C:你再打我就去银保监投诉你们。"], DraftOutcome.COMPLAINT, None, None),
        (["C:打错了，我不认识他。"], DraftOutcome.WRONG_NUMBER, None, None),
        (["C:我是他同事，他说明天还五千。"], DraftOutcome.THIRD_PARTY, None, None),
        (["C:车我还要用啊。", "C:我这个月工资还没发。"], DraftOutcome.OTHER, None, None),
        # A refusal is not the answer to "when" (cw11: 现在 is no day to pay by).
        (["A:吴涛是吧，你的钱什么时候还？", "C:我现在真的没有钱。"], DraftOutcome.REFUSED, None,
         None),
        (["A:什么时候能还？", "C:下个月也还不起。"], DraftOutcome.REFUSED, None, None),
    ],
)  # fmt: skip
def test_the_draft_of_a_call(
    lines: list[str], outcome: DraftOutcome, cents: int | None, day: date | None
) -> None:
    got = draft(*lines)
    assert (got.outcome, got.promised_amount_cents, got.promised_date) == (outcome, cents, day)


def test_a_third_partys_numbers_never_make_a_promise() -> None:
    got = draft("C:他说下周三还八千块。", contact="family")
    assert got.party is Party.THIRD_PARTY and got.outcome is DraftOutcome.THIRD_PARTY
    assert (got.promised_amount_cents, got.promised_date) == (None, None)


def test_the_summary_is_two_or_three_lines_quoting_the_callees_key_words() -> None:
    got = draft(
        "C:喂，你好。",
        "A:您好，是李先生吗？您的欠款已经逾期了。",
        "C:我知道，最近手头紧。",
        "C:利息太高了。",
        "C:那好，周五之前还五千。",
    )
    lines = got.summary.splitlines()
    assert lines[0] == "本人接听；承诺还款：¥5,000，2026-12-11 前。"
    assert lines[1:] == ["对方：“利息太高了。”", "对方：“那好，周五之前还五千。”"]
    assert draft().summary == "本人接听；其他（对方无发言）。"


def test_the_call_date_not_the_clock_anchors_the_days() -> None:
    for days in range(0, 400, 37):
        now = WEDNESDAY + timedelta(days=days)
        assert draft("C:明天还两千").promised_date == TODAY + timedelta(days=1)
        assert draft("C:明天还两千", now=now).promised_date == now.date() + timedelta(days=1)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["agent", "callee", "unknown"]),
            st.text(
                alphabet="还五千万两一二三号月周明天后不是元块钱0123456789，。？吗好行下个",
                max_size=30,
            ),
        ),
        max_size=6,
    ),
    st.sampled_from(["debtor", "family", "unknown"]),
)
def test_any_transcript_drafts_a_valid_note(lines: list[tuple[str, str]], contact: str) -> None:
    said = [Utterance(who, 0.0, 0.0, text) for who, text in lines]  # type: ignore[arg-type]
    got = draft_note(said, contact, WEDNESDAY)
    assert got.outcome.value in {o.value for o in NoteOutcome}
    spoke = any(who == "callee" and normalise(text) for who, text in lines)
    assert 2 <= len(got.summary.splitlines()) <= 3 if spoke else len(got.summary.splitlines()) == 1
    if got.promised_amount_cents is not None:
        assert 0 < got.promised_amount_cents <= MAX_AMOUNT_CENTS
    if got.promised_date is not None:
        assert got.promised_date >= TODAY
    # a third party never promises for the debtor; on a call to an unknown party the one
    # who answered may be the debtor, so a promise is drafted (and the party said unknown)
    if got.outcome is not DraftOutcome.PROMISE_TO_PAY or contact == "family":
        assert got.promised_amount_cents is None and got.promised_date is None


def test_the_drafts_outcomes_are_the_note_forms() -> None:
    assert {o.value for o in DraftOutcome} <= {o.value for o in NoteOutcome}


def test_yuan_and_scoring() -> None:
    assert (yuan(500000), yuan(120050)) == ("¥5,000", "¥1,200.50")
    got = score_field([(1, 1), (2, 3), (None, 4), (5, None), (None, None)])
    assert (got.tp, got.fp, got.fn, got.labelled) == (1, 2, 2, 3)
    assert (got.precision, got.recall) == (1 / 3, 1 / 3)


@pytest.mark.parametrize(
    ("line", "complains"),
    [
        ("我要投诉你们", True),
        ("你再打我就去投诉", True),
        ("我不会投诉你们的，月底前还五千", False),  # ts75 of the held-out split
        ("我没有要举报谁，就是最近手头紧", False),
        ("不想报警，你们别再打给我家里", False),
        ("我不是要投诉你，我就是想问问还款的事。", False),  # cw48 of the labelled calls
        ("我不是想举报谁", False),
    ],
)
def test_a_complaint_said_not_to_be_made_is_not_one(line: str, complains: bool) -> None:
    assert (Cue.COMPLAINT in cues(line)) is complains


@pytest.mark.parametrize(
    ("line", "complains"),
    [
        ("我打12345投诉你们", True),
        ("我要打12378", True),
        ("有事打我新号码13912345678", False),  # the hotline's digits inside a phone number
        ("账号6212345678900", False),
    ],
)
def test_a_hotline_is_its_own_number_not_digits_inside_another(line: str, complains: bool) -> None:
    assert (Cue.COMPLAINT in cues(line)) is complains
