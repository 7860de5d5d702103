"""The stored vocabularies (``store.enums`` and the like) named for people, in the reader's
language: one table per vocabulary, each name a catalog message, and :func:`named`, which a
page calls (the ``named`` template filter) instead of printing a raw value such as
``no_answer`` (pure data, issue 20).

Tables that other modules already keep (the worklist's, the wallboard's, the complaint
register's) are gathered here, not copied.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType
from typing import Any

from compliance.complaints import Channel, ComplaintStatus, Grade
from compliance.promises import PromiseStatus
from console.editable import BEFORE_FIRST_EDIT
from console.i18n import N_, gettext
from console.queue_labels import ATTEMPT_ZH, HOLD_ZH, KIND_ZH, OUTCOME_ZH, PROMISE_ZH, RELATION_ZH
from console.wallboard import SPEAKER_LABELS
from console.web.labels import CHANNEL_ZH, GRADE_ZH, STATUS_ZH
from store.enums import (
    AttemptStatus,
    CaseStatus,
    ConsentScope,
    HoldReason,
    LegalHoldReason,
    NumberKind,
    RecordingStatus,
    Relation,
    ReviewStatus,
    Role,
    Speaker,
    SpotCheckResult,
    Verdict,
)
from store.notes import NoteOutcome

CASE_STATUS_ZH: Mapping[CaseStatus, str] = MappingProxyType(
    {
        CaseStatus.ACTIVE: N_("在催"),
        CaseStatus.PROMISED: N_("已承诺还款"),
        CaseStatus.PAID: N_("已结清"),
        CaseStatus.CLOSED: N_("已结案"),
        CaseStatus.STOLEN: N_("卡片被盗用"),
        CaseStatus.JAILED: N_("债务人服刑"),
        CaseStatus.DECEASED: N_("债务人身故"),
    }
)
RECORDING_ZH: Mapping[RecordingStatus, str] = MappingProxyType(
    {
        RecordingStatus.STORED: N_("已存录音"),
        RecordingStatus.TRANSCRIBED: N_("已转写"),
        RecordingStatus.FAILED: N_("转写失败"),
    }
)
VERDICT_ZH: Mapping[Verdict, str] = MappingProxyType(
    {
        Verdict.FALSE_POSITIVE: N_("误报"),
        Verdict.SUGGESTION: N_("建议"),
        Verdict.RECTIFICATION: N_("责令整改"),
        Verdict.PENALTY: N_("处罚"),
    }
)
REVIEW_ZH: Mapping[ReviewStatus, str] = MappingProxyType(
    {
        ReviewStatus.OPEN: N_("待复听"),
        ReviewStatus.PROMOTED: N_("已转为违规"),
        ReviewStatus.DISMISSED: N_("无问题"),
    }
)
SPOT_CHECK_ZH: Mapping[SpotCheckResult, str] = MappingProxyType(
    {SpotCheckResult.COMPLIANT: N_("合规"), SpotCheckResult.ISSUE: N_("有问题")}
)
CONSENT_SCOPE_ZH: Mapping[ConsentScope, str] = MappingProxyType(
    {ConsentScope.WINDOW: N_("拨打时段"), ConsentScope.FREQUENCY: N_("联系频次")}
)
LEGAL_HOLD_ZH: Mapping[LegalHoldReason, str] = MappingProxyType(
    {LegalHoldReason.DISPUTE: N_("争议"), LegalHoldReason.ADMIN: N_("管理员保全")}
)

ROLE_ZH: Mapping[Role, str] = MappingProxyType(
    {
        Role.AGENT: N_("催收员"),
        Role.QA: N_("质检员"),
        Role.SUPERVISOR: N_("班组长"),
        Role.ADMIN: N_("管理员"),
    }
)

NAMES: Mapping[type[Enum], Mapping[Any, str]] = MappingProxyType(
    {
        Role: ROLE_ZH,
        CaseStatus: CASE_STATUS_ZH,
        RecordingStatus: RECORDING_ZH,
        Verdict: VERDICT_ZH,
        ReviewStatus: REVIEW_ZH,
        SpotCheckResult: SPOT_CHECK_ZH,
        ConsentScope: CONSENT_SCOPE_ZH,
        LegalHoldReason: LEGAL_HOLD_ZH,
        Speaker: {Speaker(key): name for key, name in SPEAKER_LABELS.items()},
        NoteOutcome: {NoteOutcome(key): name for key, name in OUTCOME_ZH.items()},
        PromiseStatus: PROMISE_ZH,
        AttemptStatus: ATTEMPT_ZH,
        Relation: RELATION_ZH,
        NumberKind: KIND_ZH,
        HoldReason: HOLD_ZH,
        Channel: CHANNEL_ZH,
        Grade: GRADE_ZH,
        ComplaintStatus: STATUS_ZH,
    }
)


def named(value: object) -> str:
    """A stored value's name in the current language; an unknown value as it is (a new
    value in a vocabulary shows, rather than failing the page)."""
    if isinstance(value, Enum):
        table = NAMES.get(type(value), {})
        name = table.get(value)
        return gettext(name) if name else str(value.value)
    return "" if value is None else str(value)


CONTACT_ZH: Mapping[str, str] = MappingProxyType(
    {"third_party": N_("第三方"), "unknown": N_("未知")}
)
"""Who a call reached where that is not one relation (``store.contacts.contact_type``)."""


def contact_named(contact_type: str) -> str:
    """Who a call reached (``debtor``, a relation, ``third_party``), named."""
    if contact_type in set(Relation):
        return named(Relation(contact_type))
    name = CONTACT_ZH.get(contact_type)
    return gettext(name) if name else contact_type


CATEGORY_ZH: Mapping[str, str] = MappingProxyType(
    {
        "impersonation": N_("冒充公检法/律师"),
        "threat": N_("威胁恐吓/软暴力"),
        "waiver_promise": N_("越权承诺减免/分期/征信"),
        "insult": N_("侮辱谩骂"),
        "induce_borrowing": N_("诱导借贷/套现"),
        "private_payment": N_("私下收款"),
        "third_party_disclosure": N_("向第三方透露欠款"),
        "complaint_tendency": N_("投诉倾向（停催）"),
        "do_not_call_request": N_("第三方要求不再联系"),
    }
)
"""The shipped lexicon's flag categories (``config/lexicon/cn-default.toml``), each named by
its title there: a test keeps the two the same. A category an edited lexicon adds shows as
its id until it is named here."""


def category_named(category: str) -> str:
    """A flag's category (``impersonation``) named in the current language."""
    name = CATEGORY_ZH.get(category)
    return gettext(name) if name else category


ACTOR_ZH: Mapping[str, str] = MappingProxyType(
    {
        "detector": N_("自动质检（通话后）"),
        "live": N_("实时检测（通话中）"),
        BEFORE_FIRST_EDIT: N_("（首次编辑前）"),
    }
)
"""Who did something when no person did: what an audit row or a hold names as its actor
(``store.callee_events.ACTOR``, ``store.live.ACTOR``)."""


def actor_named(actor: str) -> str:
    """Who placed a hold or made a change: a person's user name as it is, the system's own
    actors named."""
    name = ACTOR_ZH.get(actor)
    return gettext(name) if name else actor
