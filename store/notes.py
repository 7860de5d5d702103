"""Collection notes (催收记录): every call an agent took part in gets one, before the next call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.enums import AccountClass, AttemptStatus, CaseStatus, NumberState
from store.models import CallAttempt, Case, CollectionNote, Hold
from store.number_states import mark_number
from store.said import N_, SaidError

IN_FLIGHT = (AttemptStatus.RESERVED, AttemptStatus.ORIGINATED)
NEEDS_NOTE = (
    AttemptStatus.ANSWERED,
    AttemptStatus.NO_ANSWER,
    AttemptStatus.BUSY,
    AttemptStatus.FAILED,
)


class NoteOutcome(StrEnum):
    PROMISE_TO_PAY = "promise_to_pay"  # 承诺还款
    NEGOTIATING = "negotiating"  # 协商中
    REFUSED = "refused"  # 拒绝还款
    THIRD_PARTY = "third_party"  # 第三方转告
    COMPLAINT = "complaint"  # 投诉倾向
    NO_ANSWER = "no_answer"  # 无人接听
    BUSY = "busy"  # 占线
    WRONG_NUMBER = "wrong_number"  # 号码错误
    OTHER = "other"  # 其他


class NoteError(SaidError):
    """A note that cannot be saved as given; the message names the field."""


def owes_note() -> ColumnElement[bool]:
    """A condition on :class:`CallAttempt`: a finished call that has no note yet."""
    return and_(
        CallAttempt.status.in_(NEEDS_NOTE),
        ~exists().where(CollectionNote.call_attempt_id == CallAttempt.id),
    )


def pending_notes(session: Session, agent_id: int) -> list[CallAttempt]:
    """This agent's finished calls that have no note yet, oldest first."""
    return list(
        session.scalars(
            select(CallAttempt)
            .where(CallAttempt.agent_id == agent_id, owes_note())
            .order_by(CallAttempt.reserved_at, CallAttempt.id)
        )
    )


def calls_in_flight(session: Session, agent_id: int) -> list[CallAttempt]:
    return list(
        session.scalars(
            select(CallAttempt).where(
                CallAttempt.agent_id == agent_id, CallAttempt.status.in_(IN_FLIGHT)
            )
        )
    )


@dataclass(frozen=True)
class DraftShown:
    """The note the rules drafted from the transcript, as the form showed it to the agent."""

    outcome: str
    amount_cents: int | None
    day: date | None
    text: str
    rules: str
    """Which rules drafted it (compliance.notes_draft.RULES_VERSION)."""


@dataclass(frozen=True)
class NoteInput:
    attempt_id: int
    outcome: NoteOutcome
    account_class: AccountClass | None
    text: str
    promised_amount_cents: int | None = None
    promised_date: date | None = None
    draft: DraftShown | None = None
    """Kept beside the note, so QA sees what the agent changed."""


def add_note(
    session: Session, agent_id: int, actor: str, note: NoteInput, now: datetime
) -> CollectionNote:
    """Save the note of one of this agent's calls; a promise also marks the case promised."""
    attempt = session.get(CallAttempt, note.attempt_id)
    if attempt is None or attempt.agent_id != agent_id:
        raise NoteError(N_("通话 %(call)s：不是您的通话"), call=note.attempt_id)
    if attempt.status not in NEEDS_NOTE:
        raise NoteError(N_("通话 %(call)s：尚未结束"), call=note.attempt_id)
    if session.scalar(
        select(CollectionNote.id).where(CollectionNote.call_attempt_id == attempt.id)
    ):
        raise NoteError(N_("通话 %(call)s：已有催记"), call=note.attempt_id)
    if not note.text.strip():
        raise NoteError(N_("请填写通话内容与约定"))
    if note.outcome is NoteOutcome.PROMISE_TO_PAY and (
        note.promised_amount_cents is None or note.promised_date is None
    ):
        raise NoteError(N_("承诺还款须填写承诺金额和日期"))
    if note.promised_amount_cents is not None and note.promised_amount_cents <= 0:
        raise NoteError(N_("承诺金额须大于 0"))
    row = CollectionNote(
        case_id=attempt.case_id,
        call_attempt_id=attempt.id,
        agent_id=agent_id,
        outcome=note.outcome.value,
        account_class=note.account_class,
        promised_amount_cents=note.promised_amount_cents,
        promised_date=note.promised_date,
        text=note.text.strip(),
        created_at=now,
    )
    if note.draft is not None:
        row.draft_outcome = note.draft.outcome
        row.draft_amount_cents = note.draft.amount_cents
        row.draft_date = note.draft.day
        row.draft_text = note.draft.text
        row.draft_rules = note.draft.rules
    session.add(row)
    case = session.get_one(Case, attempt.case_id)
    if note.account_class is not None:
        case.account_class = note.account_class
    if note.outcome is NoteOutcome.PROMISE_TO_PAY and case.status is CaseStatus.ACTIVE:
        case.status = CaseStatus.PROMISED
    if note.outcome is NoteOutcome.WRONG_NUMBER:
        # 号码错误: whoever answers there is not the person; never dialled as theirs again
        why = f"note on call {attempt.id}"
        mark_number(session, attempt.phone_number_id, NumberState.WRONG_PERSON, actor, why)
    session.flush()
    record_audit(
        session,
        actor,
        "note.add",
        object_type="call_attempt",
        object_id=str(attempt.id),
        detail={
            "outcome": note.outcome.value,
            "class": note.account_class,
            "drafted": note.draft is not None,
        },
    )
    return row


@dataclass(frozen=True)
class CaseHistory:
    case: Case
    attempts: list[CallAttempt]
    notes: list[CollectionNote]
    holds: list[Hold]


def case_history(session: Session, case_id: int) -> CaseHistory | None:
    case = session.get(Case, case_id)
    if case is None:
        return None
    attempts = session.scalars(
        select(CallAttempt)
        .where(CallAttempt.case_id == case_id)
        .order_by(CallAttempt.reserved_at.desc())
    ).all()
    notes = session.scalars(
        select(CollectionNote)
        .where(CollectionNote.case_id == case_id)
        .order_by(CollectionNote.created_at.desc())
    ).all()
    holds = session.scalars(
        select(Hold).where(Hold.case_id == case_id).order_by(Hold.placed_at.desc())
    ).all()
    return CaseHistory(case, list(attempts), list(notes), list(holds))
