"""How the agent's worklist names things, in the agent's language (Chinese first): who a
number belongs to, its kind, why a case is due, why a number may not be dialled now, the
last contact's result and the filters (pure data, issue 22).

Each name is a catalog message (``N_``): a page shows it through ``console.i18n.translated``.

A blocked number's reason is the policy's own words (it says each in Chinese and in
English); this table only names the kind of rule in front of them (``第三方：…``). Rule ids
are the profile's (an admin may name them as they like), so a rule is named by its
``kind``, looked up in the profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from compliance.policy import Profile
from compliance.promises import PromiseStatus
from console.i18n import N_, gettext, in_language
from dialer.scheduler import RETRY_RULE
from store.enums import AttemptStatus, HoldReason, NumberKind, Relation

RELATION_ZH: Mapping[Relation, str] = MappingProxyType(
    {
        Relation.DEBTOR: N_("债务人"),
        Relation.FAMILY: N_("家属"),
        Relation.COLLEAGUE: N_("同事"),
        Relation.EMERGENCY: N_("紧急联系人"),
        Relation.OTHER: N_("其他联系人"),
    }
)


def who(relation: Relation, word: str | None) -> str:
    """Who a number's person is to the case, in the case file's own word when it gave one
    (母亲), else the relation's (家属)."""
    return word or gettext(RELATION_ZH[relation])


KIND_ZH: Mapping[NumberKind, str] = MappingProxyType(
    {
        NumberKind.MOBILE: N_("手机"),
        NumberKind.HOME: N_("住宅电话"),
        NumberKind.WORK: N_("单位电话"),
        NumberKind.OTHER: N_("其他号码"),
    }
)
TIER_ZH: Mapping[str, str] = MappingProxyType(
    {
        "schedule.first_call": N_("首次外呼期限"),
        "schedule.promise_follow_up": N_("承诺还款到期"),
        "schedule.related_contact": N_("关联人联系到期"),
        "schedule.lost_contact": N_("失联"),
        "schedule.routine": N_("常规跟进"),
    }
)
RULE_KIND_ZH: Mapping[str, str] = MappingProxyType(
    {
        "window": N_("拨打时段"),
        "statutory_holidays": N_("法定节假日"),
        "cap": N_("次数上限"),
        "min_interval": N_("联系间隔"),
        "quiet_after_conversation": N_("通话后静默期"),
        "do_not_call": N_("禁止拨打"),
        "hold": N_("停催"),
        "case_status": N_("案件状态"),
        "contact_type": N_("联系人类型"),
        "number_state": N_("号码状态"),
        "third_party_gate": N_("第三方"),
        "one_call_at_a_time": N_("正在通话"),
    }
)
"""Each kind of policy rule (``compliance.policy.profile``), named."""
SCHEDULE_RULES_ZH: Mapping[str, str] = MappingProxyType(
    {"profile.clock": N_("时区"), RETRY_RULE: N_("重拨时段")}
)
"""Rule ids that are not the profile's: the engine's clock and the scheduler's slots."""
ATTEMPT_ZH: Mapping[AttemptStatus, str] = MappingProxyType(
    {
        AttemptStatus.RESERVED: N_("呼叫中"),
        AttemptStatus.ORIGINATED: N_("呼叫中"),
        AttemptStatus.ANSWERED: N_("已接通"),
        AttemptStatus.NO_ANSWER: N_("无人接听"),
        AttemptStatus.BUSY: N_("占线"),
        AttemptStatus.FAILED: N_("呼叫失败"),
        AttemptStatus.BLOCKED: N_("拦截"),
    }
)
OUTCOME_ZH: Mapping[str, str] = MappingProxyType(
    {
        "promise_to_pay": N_("承诺还款"),
        "negotiating": N_("协商中"),
        "refused": N_("拒绝还款"),
        "third_party": N_("第三方转告"),
        "complaint": N_("投诉倾向"),
        "no_answer": N_("无人接听"),
        "busy": N_("占线"),
        "wrong_number": N_("号码错误"),
        "other": N_("其他"),
    }
)
"""A collection note's outcome (``store.notes.NoteOutcome`` values)."""
HOLD_ZH: Mapping[HoldReason, str] = MappingProxyType(
    {
        HoldReason.COMPLAINT_TENDENCY: N_("投诉倾向"),
        HoldReason.STOLEN: N_("卡片被盗用"),
        HoldReason.JAILED: N_("债务人服刑"),
        HoldReason.DECEASED: N_("债务人身故"),
        HoldReason.MANUAL: N_("人工停催"),
        HoldReason.COMPLAINT: N_("投诉处理中"),
    }
)
FILTERS_ZH: Mapping[str, str] = MappingProxyType(
    {
        "": N_("全部"),
        "due_today": N_("今日到期"),
        "promises": N_("承诺到期"),
        "never": N_("从未联系"),
        "holds": N_("我的停催"),
    }
)
PROMISE_ZH: Mapping[PromiseStatus, str] = MappingProxyType(
    {
        PromiseStatus.PENDING: N_("待到期"),
        PromiseStatus.KEPT: N_("已履约"),
        PromiseStatus.PARTLY_KEPT: N_("部分履约"),
        PromiseStatus.BROKEN: N_("未履约"),
    }
)
"""A promise to pay's state by its due date (compliance.promises)."""
NOT_PLANNED_ZH = N_("不在当前外呼计划中")
"""A number of a dealt case that the kept schedule neither offers nor blocks."""


def rule_names(profile: Profile) -> dict[str, str]:
    """Each rule id the profile (and the scheduler) may block with → its name."""
    names = {rule: gettext(name) for rule, name in SCHEDULE_RULES_ZH.items()}
    for rule in profile.rules:
        names[rule.id] = gettext(RULE_KIND_ZH[rule.kind]) if rule.kind in RULE_KIND_ZH else rule.id
    return names


def why_not(names: Mapping[str, str], rule: str, reason_zh: str, reason_en: str = "") -> str:
    """``第三方：债务人仅 1 次外呼未接通（需连续 3 次），暂不能联系第三方``: the policy's
    reason in the reader's language (its Chinese where no English was kept)."""
    name = names.get(rule, rule or gettext("策略"))
    reason = in_language(reason_zh, reason_en)
    return gettext("%(rule)s：%(reason)s") % {"rule": name, "reason": reason} if reason else name


def due_reason(reason: str, reason_zh: str, reason_en: str) -> str:
    """Why a case is due (the scheduler's words) in the reader's language; ``reason`` as it
    was kept where neither language was (rows kept before migration 0026)."""
    return in_language(reason_zh, reason_en) if reason_zh else reason
