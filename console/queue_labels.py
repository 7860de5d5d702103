"""How the agent's worklist names things, in the agent's language (Chinese first): who a
number belongs to, its kind, why a case is due, why a number may not be dialled now, the
last contact's result and the filters (pure data, issue 22).

A blocked number's reason is the policy's own Chinese words; this table only names the
kind of rule in front of them (``第三方：…``). Rule ids are the profile's (an admin may
name them as they like), so a rule is named by its ``kind``, looked up in the profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from compliance.policy import Profile
from dialer.scheduler import RETRY_RULE
from store.enums import AttemptStatus, HoldReason, NumberKind, Relation

RELATION_ZH: Mapping[Relation, str] = MappingProxyType(
    {
        Relation.DEBTOR: "债务人",
        Relation.FAMILY: "家属",
        Relation.COLLEAGUE: "同事",
        Relation.EMERGENCY: "紧急联系人",
        Relation.OTHER: "其他联系人",
    }
)


def who(relation: Relation, word: str | None) -> str:
    """Who a number's person is to the case, in the case file's own word when it gave one
    (母亲), else the relation's (家属)."""
    return word or RELATION_ZH[relation]


KIND_ZH: Mapping[NumberKind, str] = MappingProxyType(
    {
        NumberKind.MOBILE: "手机",
        NumberKind.HOME: "住宅电话",
        NumberKind.WORK: "单位电话",
        NumberKind.OTHER: "其他号码",
    }
)
TIER_ZH: Mapping[str, str] = MappingProxyType(
    {
        "schedule.first_call": "首次外呼期限",
        "schedule.promise_follow_up": "承诺还款到期",
        "schedule.related_contact": "关联人联系到期",
        "schedule.lost_contact": "失联",
        "schedule.routine": "常规跟进",
    }
)
RULE_KIND_ZH: Mapping[str, str] = MappingProxyType(
    {
        "window": "拨打时段",
        "statutory_holidays": "法定节假日",
        "cap": "次数上限",
        "min_interval": "联系间隔",
        "quiet_after_conversation": "通话后静默期",
        "do_not_call": "禁止拨打",
        "hold": "停催",
        "case_status": "案件状态",
        "contact_type": "联系人类型",
        "number_state": "号码状态",
        "third_party_gate": "第三方",
        "one_call_at_a_time": "正在通话",
    }
)
"""Each kind of policy rule (``compliance.policy.profile``), named."""
SCHEDULE_RULES_ZH: Mapping[str, str] = MappingProxyType(
    {"profile.clock": "时区", RETRY_RULE: "重拨时段"}
)
"""Rule ids that are not the profile's: the engine's clock and the scheduler's slots."""
ATTEMPT_ZH: Mapping[AttemptStatus, str] = MappingProxyType(
    {
        AttemptStatus.RESERVED: "呼叫中",
        AttemptStatus.ORIGINATED: "呼叫中",
        AttemptStatus.ANSWERED: "已接通",
        AttemptStatus.NO_ANSWER: "无人接听",
        AttemptStatus.BUSY: "占线",
        AttemptStatus.FAILED: "呼叫失败",
        AttemptStatus.BLOCKED: "拦截",
    }
)
OUTCOME_ZH: Mapping[str, str] = MappingProxyType(
    {
        "promise_to_pay": "承诺还款",
        "negotiating": "协商中",
        "refused": "拒绝还款",
        "third_party": "第三方转告",
        "complaint": "投诉倾向",
        "no_answer": "无人接听",
        "busy": "占线",
        "wrong_number": "号码错误",
        "other": "其他",
    }
)
"""A collection note's outcome (``store.notes.NoteOutcome`` values)."""
HOLD_ZH: Mapping[HoldReason, str] = MappingProxyType(
    {
        HoldReason.COMPLAINT_TENDENCY: "投诉倾向",
        HoldReason.STOLEN: "卡片被盗用",
        HoldReason.JAILED: "债务人服刑",
        HoldReason.DECEASED: "债务人身故",
        HoldReason.MANUAL: "人工停催",
        HoldReason.COMPLAINT: "投诉处理中",
    }
)
FILTERS_ZH: Mapping[str, str] = MappingProxyType(
    {
        "": "全部 · All",
        "due_today": "今日到期 · Due today",
        "promises": "承诺到期 · Promises due",
        "never": "从未联系 · Never contacted",
        "holds": "我的停催 · My holds",
    }
)
NOT_PLANNED_ZH = "不在当前外呼计划中"
"""A number of a dealt case that the kept schedule neither offers nor blocks."""


def rule_names(profile: Profile) -> dict[str, str]:
    """Each rule id the profile (and the scheduler) may block with → its name."""
    names = dict(SCHEDULE_RULES_ZH)
    for rule in profile.rules:
        names[rule.id] = RULE_KIND_ZH.get(rule.kind, rule.id)
    return names


def why_not(names: Mapping[str, str], rule: str, reason_zh: str) -> str:
    """``第三方：债务人仅 1 次外呼未接通（需连续 3 次），暂不能联系第三方``."""
    name = names.get(rule, rule or "策略")
    return f"{name}：{reason_zh}" if reason_zh else name
