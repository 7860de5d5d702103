"""The detector: speaker-, contact-, context- and sound-aware, on sentences it was not tuned on."""

from __future__ import annotations

import pytest

from compliance.detector import CallContext, Detector, Utterance
from compliance.lexicon import load_lexicon

DETECTOR = Detector(load_lexicon("cn-default"))


def found(text: str, speaker: str = "agent", contact: str = "debtor") -> set[str]:
    utterance = Utterance(speaker, 1.0, 3.0, text)  # type: ignore[arg-type]
    return {flag.category for flag in DETECTOR.detect([utterance], CallContext(contact)).flags}


# Sentences written apart from the labelled set: what a collector may really say.
VIOLATIONS = [
    ("我是人民法院的工作人员，你的案子下周开庭。", "impersonation"),
    ("我们是市中级人民法院执行庭的。", "impersonation"),
    ("我是代表公安机关通知你。", "impersonation"),
    ("我是东方律师事务所的王律师。", "impersonation"),
    ("法院的传票已经寄出了。", "impersonation"),
    ("再不还钱我们就上门找你家人。", "threat"),
    ("你不还钱，我们就把你的事发给你所有的亲戚朋友。", "threat"),
    ("你信不信我明天就去你公司找你领导。", "threat"),
    ("你出门小心点。", "threat"),
    ("今天还清的话，所有的利息和违约金全部给你减免。", "waiver_promise"),
    ("你放心，我一定帮你申请到减免。", "waiver_promise"),
    ("你还了以后我帮你把逾期记录撤销。", "waiver_promise"),
    ("你只要还一半，剩下的一笔勾销。", "waiver_promise"),
    ("你这个人怎么这么无耻。", "insult"),
    ("欠钱不还，你还是人吗？", "insult"),
    ("你去借呗上借点钱先还了。", "induce_borrowing"),
    ("你办张新卡刷出来还。", "induce_borrowing"),
    ("你把钱转到这个支付宝账号，我帮你入账。", "private_payment"),
    ("扫我的收款码付款就行。", "private_payment"),
]

TRAPS = [
    "我们不是律师，也不是法院的。",
    "我们不会上门，也不会去您单位。",
    "利息能否减免需要银行审批，我这边不能保证。",
    "按照合同，逾期会产生罚息和滞纳金。",
    "如果您一直不还，银行可能会依法起诉。",
    "请您通过银行的官方渠道还款，不要转给个人。",
    "我们不建议您通过网贷或者套现的方式还款。",
    "您说您被骗子骗了，这个情况可以报警处理。",
    "现在冒充银行的骗子很多，您要注意。",
    "我个人建议您尽快还款。",
    "您可以打给我，我的工号是三零二一。",
    "您的欠款逾期了九十天，请尽快还款。",
    "你别着急，我们可以慢慢沟通。",
    "我们是正规的催收公司，不是骗子。",
    "您是不是觉得我们是骗子？可以打银行客服核实。",
    "您可以向银行申请停息挂账，批不批由银行决定。",
    "吴涛先生，您的还款日已经过了。",
    "如有人冒充公安机关要求您转账，请不要相信。",
    "他说“你就是个骗子”，这话我们不认同。",
]


@pytest.mark.parametrize(("text", "category"), VIOLATIONS)
def test_violations_are_flagged(text: str, category: str) -> None:
    assert found(text) == {category}


@pytest.mark.parametrize("text", TRAPS)
def test_traps_are_not_flagged(text: str) -> None:
    assert found(text) == set()


def test_agent_categories_come_only_from_agent_speech() -> None:
    assert found("你们是不是公安局的？我会不会坐牢？", speaker="callee") == set()
    assert found("我是市公安局经侦支队的。", speaker="agent") == {"impersonation"}


def test_callee_events_come_only_from_callee_speech() -> None:
    assert found("我要去金融监管局投诉你们。", speaker="callee") == {"complaint_tendency"}
    assert found("我要去金融监管局投诉你们。", speaker="agent") == set()
    assert found("我不是要投诉你，我就是问问。", speaker="callee") == set()


def test_third_party_disclosure_needs_a_contact_who_is_not_the_debtor() -> None:
    text = "你丈夫欠了银行十万块。"
    assert found(text, contact="family") == {"third_party_disclosure"}
    assert found(text, contact="unknown") == {"third_party_disclosure"}
    assert found(text, contact="debtor") == set()
    assert found("请问他最近在哪里工作？", contact="family") == set()


def test_do_not_call_request_only_from_a_third_party() -> None:
    text = "他的事跟我没关系，你们不要再打来了。"
    assert found(text, speaker="callee", contact="family") == {"do_not_call_request"}
    assert found(text, speaker="callee", contact="debtor") == set()


@pytest.mark.parametrize(
    ("heard", "category", "contact"),
    [
        ("我们是检查院的，现在正式通知你。", "impersonation", "debtor"),  # 检察院
        ("我是市公安及精精之对的。", "impersonation", "debtor"),  # 公安局经侦支队
        ("他在我们这的舰款有三万。", "third_party_disclosure", "family"),  # 欠款
        ("他的信用卡已经一期半年了。", "third_party_disclosure", "colleague"),  # 逾期
        ("没钱就去往带这一点先把这个还上。", "induce_borrowing", "debtor"),  # 网贷借
        ("用别的信用卡套线出来还不就行了。", "induce_borrowing", "debtor"),  # 套现
        ("还款直接达到我个人知覆报就行。", "private_payment", "debtor"),  # 打到我个人支付宝
    ],
)
def test_asr_homophones_still_match(heard: str, category: str, contact: str) -> None:
    assert found(heard, contact=contact) == {category}


def test_mono_speech_can_produce_either_side() -> None:
    assert found("我是公安局的。", speaker="unknown") == {"impersonation"}
    assert found("我要投诉你们。", speaker="unknown") == {"complaint_tendency"}


def test_a_flag_carries_its_evidence_rule_and_span() -> None:
    utterances = [
        Utterance("callee", 0.5, 1.5, "喂？"),
        Utterance("agent", 2.0, 6.5, "你再不还钱，我们就去你单位闹。"),
    ]
    detection = DETECTOR.detect(utterances, CallContext("debtor"))
    (flag,) = detection.flags
    assert (flag.category, flag.kind, flag.speaker) == ("threat", "violation", "agent")
    assert (flag.start, flag.end) == (2.0, 6.5)
    assert flag.matched == "去你单位闹" and flag.evidence == utterances[1].text
    assert flag.rule_id == "threat.visit" and flag.match == "text" and flag.severity == 3
    assert flag.detector_version.startswith("2/")


def test_what_a_clearing_context_turned_off_is_reported() -> None:
    detection = DETECTOR.detect(
        [Utterance("agent", 0, 2, "利息全免需要您向银行书面申请，我没有权限答应您。")],
        CallContext("debtor"),
    )
    assert detection.flags == ()
    assert {(s.category, s.clear_id) for s in detection.suppressed} == {
        ("waiver_promise", "waiver-script")
    }


def test_one_flag_per_utterance_and_category() -> None:
    text = "你这个老赖，真不要脸，你就是个骗子。"
    flags = DETECTOR.detect([Utterance("agent", 0, 3, text)], CallContext("debtor")).flags
    assert [f.category for f in flags] == ["insult"]


def test_an_insult_does_not_read_as_a_negation() -> None:
    heard = "你这个老赖真不要脸去网带平排界前先还我们"  # Whisper base on cw46
    assert found(heard) == {"insult", "induce_borrowing"}


def test_spans_are_characters_whatever_the_bytes_around_them() -> None:
    # The automata walk UTF-8: ASCII, full-width letters and a four-byte character before
    # the hit must not shift its span, in the exact and in the sound spellings.
    lines = ["OK，ＯＫ𠀋。", "ok 你这种人就是骗子", "行吧，听你的，你说的检查院的人明天到。"]
    utterances = [Utterance("agent" if i else "callee", i, i + 1, t) for i, t in enumerate(lines)]
    flags = DETECTOR.detect(utterances, CallContext("debtor")).flags
    got = {(f.category, f.matched, lines[int(f.start)][f.char_start : f.char_end]) for f in flags}
    assert ("insult", "你这种人就是骗子", "你这种人就是骗子") in got
    assert {f.category for f in flags} == {"insult", "impersonation"}
    (imp,) = [f for f in flags if f.category == "impersonation"]
    assert imp.matched == lines[2][imp.char_start : imp.char_end] and "检查院" in imp.matched


def test_a_rule_needs_every_telling_group_but_an_everyday_one_counts_as_heard() -> None:
    # 利息 alone (routine talk) does not make a waiver; with 全免 it does.
    assert found("利息是按合同约定计算的。") == set()
    assert found("利息全免，你今天还本金就行。") == {"waiver_promise"}
    # insult.you-are: 你 is everyday, so 骗子 alone is what stage one waits for.
    assert found("你就是骗子。") == {"insult"}


def test_calls_to_the_debtor_skip_third_party_phrases_that_fire_on_a_third_party() -> None:
    text = "他在我们银行的欠款有三万，已经逾期半年了。"
    assert found(text, contact="debtor") == set()
    assert found(text, contact="family") == {"third_party_disclosure"}
