"""The shipped lexicon generalises by wording family, not by memorised sentence.

Each family below was added because two or more independent wordings of it (the
labelled-calls spec, tests/fixtures/calls, the eval dev split) were missed. The
sentences here are a third set, written for this test: none of them is in a
fixture, so a rule that only memorised its fixture line fails here. Each family
also has compliant look-alikes that must stay clear.
"""

from __future__ import annotations

import pytest

from compliance.detector import CallContext, Detector, Utterance
from compliance.lexicon import load_lexicon

DETECTOR = Detector(load_lexicon("cn-default"))


def found(text: str, speaker: str = "agent") -> set[str]:
    utterance = Utterance(speaker, 1.0, 3.0, text)  # type: ignore[arg-type]
    return {flag.category for flag in DETECTOR.detect([utterance], CallContext("debtor")).flags}


FAMILIES = [
    # threat: people posted at the home or workplace
    ("我们的人已经蹲在你家楼下了，今天不还就别想出门。", "agent", "threat"),
    ("明天我们就派人守在你单位门口。", "agent", "threat"),
    # threat: knowing where the family is
    ("我们查到你儿子在哪个学校读书了。", "agent", "threat"),
    ("我清楚你老婆在哪上班。", "agent", "threat"),
    # threat: consequences you will regret
    ("你现在不还，到时候可别后悔。", "agent", "threat"),
    ("再拖下去，我让你在老家都混不下去。", "agent", "threat"),
    ("你最好自己掂量掂量。", "agent", "threat"),
    ("你信不信我们把这事闹大。", "agent", "threat"),
    # threat: harm to the family, acts of soft violence, 'I won't be polite'
    ("我把话放这儿，你家人要是出点什么事可别怪我。", "agent", "threat"),
    ("再不还，别怪我们不客气。", "agent", "threat"),
    ("明天就叫几个兄弟去你小区拉横幅。", "agent", "threat"),
    # waiver: a firm promise of a number of instalments
    ("你放心，我保证让你分三十六期。", "agent", "waiver_promise"),
    ("包在我身上，一定给你分十二期还。", "agent", "waiver_promise"),
    # waiver: the record cleaned for the debtor
    ("你先还一千，我替你把征信上的逾期记录清掉。", "agent", "waiver_promise"),
    ("我找人给你把黑名单撤了。", "agent", "waiver_promise"),
    # waiver: claimed authority
    ("我有权直接给你减掉一部分利息。", "agent", "waiver_promise"),
    ("罚息这块我做主给你打个八折。", "agent", "waiver_promise"),
    # waiver: principal only, a discount, no credit record
    ("你还了本金就两清了，利息不用管。", "agent", "waiver_promise"),
    ("本金还上就完事了，罚息你别管。", "agent", "waiver_promise"),
    ("利息可以给你砍一半。", "agent", "waiver_promise"),
    ("我帮你操作，保证不上征信。", "agent", "waiver_promise"),
    # insult: character
    ("你这人脸皮真厚，欠钱还理直气壮。", "agent", "insult"),
    ("别在这装可怜了，谁信你。", "agent", "insult"),
    ("你算什么东西，也配跟我讲条件。", "agent", "insult"),
    ("你这种人就是社会的寄生虫。", "agent", "insult"),
    ("你是脑残吧，听不懂人话？", "agent", "insult"),
    # borrowing: from people, from an app, cash from a card
    ("你找朋友借点钱先把这期还上。", "agent", "induce_borrowing"),
    ("跟你亲戚借一下不就行了。", "agent", "induce_borrowing"),
    ("手机上随便找个借款软件，几分钟就放款。", "agent", "induce_borrowing"),
    ("你用信用卡取现来还我们这边。", "agent", "induce_borrowing"),
    ("花呗里还有额度，你用花呗先还上。", "agent", "induce_borrowing"),
    # private payment: the agent's own account
    ("钱直接转我微信，我帮你处理。", "agent", "private_payment"),
    ("卡号发你了，是我本人的工资卡，存进去就行。", "agent", "private_payment"),
    ("扫我的二维码付就行。", "agent", "private_payment"),
    ("你把现金带过来，我在楼下等你。", "agent", "private_payment"),
    # complaint: bodies and channels the first lexicon did not name
    ("你们再这样我就打市长热线。", "callee", "complaint_tendency"),
    ("我要去消费者协会反映你们。", "callee", "complaint_tendency"),
    ("我把通话录音发到网上，让大家看看。", "callee", "complaint_tendency"),
    ("我要告到你们总行去。", "callee", "complaint_tendency"),
    ("我去找电视台，让他们来评评理。", "callee", "complaint_tendency"),
]

LOOK_ALIKES = [
    ("我们不会派人守在您家门口，请您放心。", "agent"),
    ("您可以找家人商量一下还款计划。", "agent"),
    ("我们不建议您找朋友借钱来还信用卡。", "agent"),
    ("分期需要您向银行提交申请，我没有权限保证能分几期。", "agent"),
    ("您可以向银行申请分十二期，审批结果以银行通知为准。", "agent"),
    ("您的征信记录会如实上报，我们无法帮您删除。", "agent"),
    ("信不信由你，逾期确实会影响征信。", "agent"),
    ("如果有人让您转到他自己的银行卡上，请不要相信。", "agent"),
    ("您可以打银行客服热线咨询，我的工号是三零二一。", "agent"),
    ("请不要把钱转到任何个人账户，包括我个人的账户。", "agent"),
    ("您好好掂量一下还款方案，想好了再告诉我。", "agent"),
    ("我自己的卡也是在手机银行还的，很方便。", "agent"),
    ("我一定给你办好登记，下期账单就会更新。", "agent"),
    ("你的事我做主不了，减免要银行批。", "agent"),
    ("按照合同约定，利息不能打折，具体以银行为准。", "agent"),
    ("不能用花呗还信用卡，这是违规的。", "agent"),
    ("本金还清以后利息还是要按合同还的。", "agent"),
    ("逾期会影响征信，这个我没法保证不上征信。", "agent"),
    ("我做主不了这个折扣，要银行定。", "agent"),
    ("减免这事我说了不算，得银行批。", "agent"),
    ("我们不会上门取钱，请通过官方渠道还款。", "agent"),
    ("现金可以去银行柜台存进去还款。", "agent"),
    ("您家人最近还好吧，希望一切顺利。", "agent"),
    ("按时还款的话就不影响征信。", "agent"),
    ("活该我倒霉，借了这个钱。", "callee"),
    ("我不会告到哪里去的，就是问问。", "callee"),
    ("我不想去消费者协会，就是想问一下怎么还。", "callee"),
    ("我爸妈住在老家，这事他们不知道。", "callee"),
]


@pytest.mark.parametrize(("text", "speaker", "category"), FAMILIES)
def test_a_new_wording_of_a_known_family_is_flagged(text: str, speaker: str, category: str) -> None:
    assert found(text, speaker) == {category}


@pytest.mark.parametrize(("text", "speaker"), LOOK_ALIKES)
def test_compliant_look_alikes_of_the_families_stay_clear(text: str, speaker: str) -> None:
    assert found(text, speaker) == set()


def test_going_to_the_door_is_not_heard_as_collecting_cash_there() -> None:
    # 上门去 and 上门取 are the same toneless syllables: only 上门取钱/上门拿钱 count as collecting.
    assert found("下个月？你信不信我们找人上门去你家堵你。") == {"threat"}
