"""The sound path: what Whisper writes for a lexicon phrase on telephone audio still matches.

The substitutions are the ones measured on held-out calls (issue 15) and in
/work/shared/notes/asr.md: some are exact homophones (堵你 → 读你), some differ
by one confusable initial or final (分期 → 分析), some by a whole syllable part
(去你公司闹 → 去你公司忙).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypinyin.pinyin_dict import pinyin_dict

from compliance.detector import CallContext, Detector, Utterance
from compliance.detector.confusion import CONFUSED, UNRELATED, syllable_cost
from compliance.detector.sound import is_han, toneless
from compliance.lexicon import load_lexicon

DETECTOR = Detector(load_lexicon("cn-default"))


RULES_ONLY = Detector(load_lexicon("cn-default").with_trained(None))


def found(
    text: str, speaker: str = "agent", contact: str = "debtor", detector: Detector = DETECTOR
) -> set[str]:
    utterance = Utterance(speaker, 1.0, 3.0, text)  # type: ignore[arg-type]
    return {flag.category for flag in detector.detect([utterance], CallContext(contact)).flags}


# (what was said, what Whisper wrote, category): the written form must flag like the said one.
HEARD = [
    ("你不还钱，我天天在你小区门口堵你。", "你不还钱，我天天在你小区门口读你。", "threat"),
    ("再拖下去你就等着坐牢吧。", "再拖下去你就等着做牢吧。", "threat"),
    ("我保证帮你申请减免。", "我保证帮你申请检免。", "waiver_promise"),
    ("利息全部减免，你放心。", "利息全部检免，你放心。", "waiver_promise"),
    ("我保证给你办分期。", "我保证给你办分清。", "waiver_promise"),
    ("我保证给你办分期。", "我保证给你办分析。", "waiver_promise"),
    ("明天我们就去你公司闹。", "明天我们就去你公司忙。", "threat"),
    ("我们是检察院的，现在通知你。", "我们是检查院的，现在通知你。", "impersonation"),
]


@pytest.mark.parametrize(("said", "heard", "category"), HEARD)
def test_what_whisper_wrote_flags_like_what_was_said(said: str, heard: str, category: str) -> None:
    assert found(said) == {category}
    assert found(heard) == {category}


def test_a_two_syllable_phrase_allows_one_confusion_not_two() -> None:
    # 欠款 → 舰款 is one confusion (q/j); 欠款 → 捐款 is two (q/j, ian/üan), and 捐款 is a
    # word of its own (a donation): a two-syllable phrase's budget stops there.
    # (the rules' budget: the model, which weighs whole lines, is tested on its own)
    assert found("他在我们这的舰款有三万。", contact="family") == {"third_party_disclosure"}
    assert found("他说下个月要去捐款三万。", contact="family", detector=RULES_ONLY) == set()


# Each clearing context, with the violation heard through the same substitutions.
SOUND_TRAPS = [
    # negation
    "我们不会去你公司忙，您放心。",
    "我们不会在你小区门口读你，您放心。",
    # the compliant waiver script
    "利息检免需要您向银行书面申请，我没有权限答应您。",
    "分清的事我不能保证，要由银行审核。",
    # a lawful notice
    "如果一直不还，银行有权依法起诉，严重的会做牢。",
    # quoting the other party, and quotation marks
    "您刚才说我们是检查院的，我们不是。",
    "您说“再不还就让你做牢”这种话我们不会说。",
]


@pytest.mark.parametrize("text", SOUND_TRAPS)
def test_clearing_contexts_clear_sound_matches_too(text: str) -> None:
    assert found(text) == set()


# Compliant lines that sound close to a phrase: a sound match must not flag them.
NEAR_MISSES = [
    "我帮您分析一下您的还款情况。",
    "请核对一下您的出生日期。",
    "我也很无奈，这是银行的规定。",
    "账单会寄到你家里的地址。",
    "我们会把材料寄到你公司的地址。",
    "您可以自己查一下账单明细。",
]


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_compliant_lines_that_sound_close_do_not_flag(text: str) -> None:
    assert found(text) == set()


# ── weak sound matches: for a person to listen to, never flags ───────────


def listen(text: str) -> list[tuple[str, str]]:
    detection = DETECTOR.detect([Utterance("agent", 1.0, 3.0, text)], CallContext("debtor"))
    assert detection.flags == ()
    return [(r.category, r.matched) for r in detection.review]


def test_a_weak_sound_match_is_for_review_not_a_flag() -> None:
    # 分析 is one confusion from 分期 (q/x): after 我帮你 that is routine talk as often as a
    # promise, so it is not flagged, but QA may want to hear it.
    assert listen("我帮您分析一下您的还款情况。") == [("waiver_promise", "我帮您分析")]
    # 无奈 is one confusion from 无赖 (n/l); insults match only as written.
    assert listen("我也很无奈，这是银行的规定。") == [("insult", "无奈")]


def test_a_review_item_carries_its_utterance_and_cost() -> None:
    detection = DETECTOR.detect(
        [Utterance("agent", 4.0, 7.5, "我帮您分析一下。")], CallContext("debtor")
    )
    (item,) = detection.review
    assert (item.start, item.end, item.speaker, item.evidence) == (
        4.0,
        7.5,
        "agent",
        "我帮您分析一下。",
    )
    assert item.evidence[item.char_start : item.char_end] == item.matched
    assert item.rule_id == "waiver.guarantee" and item.cost == 0.25


def test_no_review_where_the_category_flagged_or_a_context_clears() -> None:
    flagged = DETECTOR.detect(
        [Utterance("agent", 0, 1, "我保证给你办分析。")], CallContext("debtor")
    )
    assert [f.category for f in flagged.flags] == ["waiver_promise"] and flagged.review == ()
    assert listen("我帮您分析一下，能不能办要由银行审核。") == []  # the waiver script
    assert listen("我是说我帮您分析一下就行。") == [("waiver_promise", "我帮您分析")]
    assert listen("我不是说我帮您分析一下就行。") == []


# ── no prefilter drops what the full search flags ────────────────────────

FULL = Detector(load_lexicon("cn-default"), prefilter=False)
LEXICON = load_lexicon("cn-default")
PHRASES = sorted(
    {p for r in LEXICON.rules for g in (r.sequence or (r.phrases,)) for p in g}
    | {p for c in LEXICON.clears for p in (*c.before, *c.after, *c.sentence)}
)
FILLER = sorted(
    {
        u["text"]
        for path in (Path(__file__).parent / "fixtures" / "calls").glob("*.json")
        for u in json.loads(path.read_text(encoding="utf-8"))["transcript"]
    }
)


def _neighbours() -> dict[str, list[str]]:
    """Each lexicon character → characters that sound like it: the same syllable, one
    confusion away, or one part of the syllable unrelated (what budgets let through or not)."""
    by_syllable: dict[str, list[str]] = {}
    for code, readings in sorted(pinyin_dict.items()):
        syllable = toneless(readings.split(",")[0])
        if syllable and is_han(chr(code)) and len(by_syllable.get(syllable, ())) < 3:
            by_syllable.setdefault(syllable, []).append(chr(code))
    out: dict[str, list[str]] = {}
    for char in sorted({c for p in PHRASES for c in p if is_han(c)}):
        mine = toneless(pinyin_dict[ord(char)].split(",")[0])
        out[char] = [
            near
            for syllable, chars in by_syllable.items()
            if syllable_cost(mine, syllable) <= UNRELATED + CONFUSED
            for near in chars
        ]
    return out


NEIGHBOURS = _neighbours()


@st.composite
def heard_phrase(draw: st.DrawFn) -> str:
    """A lexicon phrase with some characters swapped for ones that sound alike."""
    phrase = draw(st.sampled_from(PHRASES))
    chars = list(phrase)
    for index, char in enumerate(chars):
        if char in NEIGHBOURS and draw(st.integers(0, 2)) == 0:
            chars[index] = draw(st.sampled_from(NEIGHBOURS[char]))
    return "".join(chars)


@st.composite
def utterance(draw: st.DrawFn) -> Utterance:
    parts = draw(
        st.lists(st.one_of(st.sampled_from(FILLER), heard_phrase(), heard_phrase()), max_size=4)
    )
    speaker = draw(st.sampled_from(["agent", "callee", "unknown"]))
    return Utterance(speaker, 0.0, 1.0, "".join(parts))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    utterances=st.lists(utterance(), min_size=1, max_size=4),
    contact=st.sampled_from(["debtor", "family"]),
)
def test_prefilters_never_drop_what_the_full_search_flags(
    utterances: list[Utterance], contact: str
) -> None:
    fast = DETECTOR.detect(utterances, CallContext(contact))
    full = FULL.detect(utterances, CallContext(contact))
    assert fast.flags == full.flags
    assert fast.suppressed == full.suppressed
    assert fast.review == full.review


def test_the_property_test_draws_sound_matches() -> None:
    # The property above means something only if altered phrases do flag by sound.
    flags = FULL.detect([Utterance("agent", 0, 1, "明天我们就去你公司忙。")], CallContext("debtor"))
    assert [f.match for f in flags.flags] == ["fuzzy"]


def test_a_lexicon_can_turn_weak_matches_off() -> None:
    quiet = Detector(LEXICON.model_copy(update={"weak_matches": False}))
    said = [Utterance("agent", 0, 1, "我帮您分析一下您的还款情况。")]
    assert quiet.detect(said, CallContext("debtor")).review == ()
    assert DETECTOR.detect(said, CallContext("debtor")).review != ()


def test_two_rules_of_one_category_on_one_line_give_the_same_flag_on_either_path() -> None:
    # Found by the property test in CI: the prefilter met threat.phrases first, the full search
    # threat.family-whereabouts; the kept flag must not depend on the order rules are tried in.
    said = [Utterance("agent", 0.0, 1.0, "我们知道你孩子在哪个学校上学，你自己想清楚。")]
    fast = DETECTOR.detect(said, CallContext("debtor"))
    full = FULL.detect(said, CallContext("debtor"))
    assert fast.flags == full.flags
    assert [f.matched for f in fast.flags] == ["知道你孩子在哪"]  # the longer match says more


def test_what_a_clearing_context_turned_off_is_listed_alike_on_either_path() -> None:
    # Also found by the property test: two rules cleared on one line came out in rule order.
    said = [Utterance("agent", 0.0, 1.0, "请勿你直接转到我个人微信上，我帮你处理。")]
    fast = DETECTOR.detect(said, CallContext("debtor"))
    full = FULL.detect(said, CallContext("debtor"))
    assert fast.suppressed == full.suppressed and len(fast.suppressed) >= 2
