"""The domain vocabularies stored in the database (values are stable strings)."""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    """Where a case stands. The last three stop collection for good (特殊状态)."""

    ACTIVE = "active"
    PROMISED = "promised"
    PAID = "paid"
    CLOSED = "closed"
    STOLEN = "stolen"
    JAILED = "jailed"
    DECEASED = "deceased"


STOP_COLLECTION_STATUSES = frozenset({CaseStatus.STOLEN, CaseStatus.JAILED, CaseStatus.DECEASED})


class AccountClass(StrEnum):
    """The A/B/C/D account classification agents keep up to date."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"


class Relation(StrEnum):
    """Who a person is to the case. Only ``debtor`` may be told about the debt."""

    DEBTOR = "debtor"
    FAMILY = "family"
    COLLEAGUE = "colleague"
    EMERGENCY = "emergency"
    OTHER = "other"


class NumberKind(StrEnum):
    MOBILE = "mobile"
    HOME = "home"
    WORK = "work"
    OTHER = "other"


class NumberState(StrEnum):
    """What dialing has taught us about a number."""

    UNVERIFIED = "unverified"
    VERIFIED = "verified"
    UNREACHABLE = "unreachable"
    WRONG_PERSON = "wrong_person"


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class AttemptStatus(StrEnum):
    """Life of a call attempt; ``reserved`` and ``originated`` are in flight."""

    RESERVED = "reserved"
    ORIGINATED = "originated"
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    BLOCKED = "blocked"


class Role(StrEnum):
    AGENT = "agent"
    QA = "qa"
    ADMIN = "admin"
    SUPERVISOR = "supervisor"  # 班组长: sees the teams they lead (store.scope)


class Speaker(StrEnum):
    AGENT = "agent"
    CALLEE = "callee"
    UNKNOWN = "unknown"


class RecordingStatus(StrEnum):
    STORED = "stored"
    TRANSCRIBED = "transcribed"
    FAILED = "failed"


class Verdict(StrEnum):
    """A QA inspector's ruling on one flag."""

    FALSE_POSITIVE = "false_positive"
    SUGGESTION = "suggestion"  # 建议
    RECTIFICATION = "rectification"  # 责令整改
    PENALTY = "penalty"  # 处罚


class HoldReason(StrEnum):
    """Why collection on a case is stopped (停催)."""

    COMPLAINT_TENDENCY = "complaint_tendency"
    STOLEN = "stolen"
    JAILED = "jailed"
    DECEASED = "deceased"
    MANUAL = "manual"
    COMPLAINT = "complaint"  # 投诉处理中: a registered complaint, until it is resolved


class SpotCheckResult(StrEnum):
    """A QA inspector's finding on a call sampled for a spot check."""

    COMPLIANT = "compliant"
    ISSUE = "issue"  # something the detector missed; the note says what


class ReviewStatus(StrEnum):
    """Where a weak sound match put in front of QA ("listen to this", 待复听) stands."""

    OPEN = "open"
    PROMOTED = "promoted"  # QA heard a violation and made it a flag
    DISMISSED = "dismissed"  # QA heard nothing wrong


class ConsentScope(StrEnum):
    """What a debtor agreed to (``compliance.policy.ConsentScope`` has the same values)."""

    WINDOW = "window"
    FREQUENCY = "frequency"


class LegalHoldReason(StrEnum):
    """Why a case's records are kept past their retention period (an open complaint holds
    them too, without a row of its own: ``store.legal_holds``)."""

    DISPUTE = "dispute"  # 争议: the debtor disputes the debt or the collection
    ADMIN = "admin"  # an administrator's hold, for a reason they give (a regulator, a court)
