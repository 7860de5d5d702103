"""An attempt's life after its reservation: originated, answered, ended — or released."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from store.db import SessionFactory
from store.enums import AttemptStatus, Direction, NumberState
from store.models import CallAttempt, Case, CaseContact, PhoneNumber
from store.number_states import mark_number

IN_FLIGHT = (AttemptStatus.RESERVED, AttemptStatus.ORIGINATED)


def mark_originated(sessions: SessionFactory, attempt_id: int, at: datetime) -> None:
    with sessions.begin() as session:
        _in_flight(session, attempt_id, status=AttemptStatus.ORIGINATED, originated_at=at)


def mark_ringing(sessions: SessionFactory, attempt_id: int, at: datetime) -> None:
    """The callee's phone rings (the first time only; a row no longer in flight is left)."""
    with sessions.begin() as session:
        session.execute(
            update(CallAttempt)
            .where(
                CallAttempt.id == attempt_id,
                CallAttempt.status.in_(IN_FLIGHT),
                CallAttempt.ringing_at.is_(None),
            )
            .values(ringing_at=at)
        )


NOTES_UP_TO = 4000
"""Refusal notes stop being appended to a row's reason past this many characters (a flood of
stray gate sessions must not grow a row without bound)."""


def mark_answered(sessions: SessionFactory, attempt_id: int, at: datetime) -> bool:
    """Whether the row was in flight and is now answered; False leaves the row unchanged
    (it was blocked, ended or expired meanwhile), and the caller must not bridge the call."""
    with sessions.begin() as session:
        return _in_flight(session, attempt_id, status=AttemptStatus.ANSWERED, answered_at=at)


def block_on_answer(
    sessions: SessionFactory, attempt_id: int, why: str, at: datetime, *, undo_answer: bool = False
) -> bool:
    """The gate refused a call of ours after the callee answered: an in-flight row (or, with
    ``undo_answer``, one just marked answered whose channel then died) becomes ``blocked``
    with the reason. A row in any other state keeps it and gets ``why`` as a note.
    Returns whether the row was blocked."""
    statuses = (*IN_FLIGHT, AttemptStatus.ANSWERED) if undo_answer else IN_FLIGHT
    with sessions.begin() as session:
        result = session.execute(
            update(CallAttempt)
            .where(CallAttempt.id == attempt_id, CallAttempt.status.in_(statuses))
            .values(
                status=AttemptStatus.BLOCKED,
                decision_reason=f"blocked on answer: {why}",
                answered_at=None,
                ended_at=at,
            )
        )
        if int(getattr(result, "rowcount", 0)) == 1:
            return True
        append_note(session, attempt_id, why, at)
        return False


def note_refusal(sessions: SessionFactory, attempt_id: int, why: str, at: datetime) -> None:
    """Append why the gate refused a session to the row's reason; its status is not touched
    (the row is not ours to decide, or was decided already). No row, no note."""
    with sessions.begin() as session:
        append_note(session, attempt_id, why, at)


def append_note(session: Session, attempt_id: int, why: str, at: datetime) -> None:
    """``why`` the gate refused, stamped, after the row's reason (inside ``session``)."""
    note = f"\n[gate {at.isoformat(timespec='seconds')}] refused: {why}"
    session.execute(
        update(CallAttempt)
        .where(
            CallAttempt.id == attempt_id,
            func.length(CallAttempt.decision_reason) < NOTES_UP_TO,
        )
        .values(decision_reason=CallAttempt.decision_reason + note)
    )


def mark_ended(
    sessions: SessionFactory,
    attempt_id: int,
    status: AttemptStatus,
    cause: str,
    at: datetime,
    *,
    number_gone: bool = False,
) -> None:
    """The final outcome; an attempt already blocked (on answer) keeps that status.
    ``number_gone``: the network said the number does not exist, so it is marked
    unreachable in the same transaction."""
    with sessions.begin() as session:
        session.execute(
            update(CallAttempt)
            .where(CallAttempt.id == attempt_id, CallAttempt.status != AttemptStatus.BLOCKED)
            .values(status=status, hangup_cause=cause[:64], ended_at=at)
        )
        if number_gone:
            number_id = session.scalar(
                select(CallAttempt.phone_number_id).where(CallAttempt.id == attempt_id)
            )
            mark_number(session, number_id, NumberState.UNREACHABLE, "dialer", cause[:64])


def release(sessions: SessionFactory, attempt_id: int, why: str, at: datetime) -> None:
    """A reservation that was never dialled: it stops counting toward any cap."""
    with sessions.begin() as session:
        session.execute(
            update(CallAttempt)
            .where(CallAttempt.id == attempt_id, CallAttempt.status == AttemptStatus.RESERVED)
            .values(status=AttemptStatus.BLOCKED, decision_reason=f"released: {why}", ended_at=at)
        )


def expire_stale(sessions: SessionFactory, now: datetime, older_than: timedelta) -> int:
    """In-flight attempts nobody closed (a dialer that died): counted as failed, not forever
    in flight. Returns how many."""
    with sessions.begin() as session:
        result = session.execute(
            update(CallAttempt)
            .where(
                CallAttempt.status.in_(IN_FLIGHT),
                CallAttempt.reserved_at < now - older_than,
            )
            .values(status=AttemptStatus.FAILED, hangup_cause="expired in flight", ended_at=now)
        )
        return int(getattr(result, "rowcount", 0))


def _in_flight(session: Session, attempt_id: int, **values: object) -> bool:
    result = session.execute(
        update(CallAttempt)
        .where(CallAttempt.id == attempt_id, CallAttempt.status.in_(IN_FLIGHT))
        .values(**values)
    )
    return int(getattr(result, "rowcount", 0)) == 1


def log_inbound(sessions: SessionFactory, e164: str, agent_id: int, at: datetime) -> int | None:
    """Record a call the customer made: inbound, answered, never counted toward any cap.

    Returns the attempt's id, or None when the caller's number is not on any case.
    """
    with sessions.begin() as session:
        number = session.scalars(
            select(PhoneNumber).where(PhoneNumber.e164 == e164).order_by(PhoneNumber.id)
        ).first()
        if number is None:
            return None
        case_id = session.scalar(
            select(Case.id)
            .outerjoin(CaseContact, CaseContact.case_id == Case.id)
            .where(
                or_(Case.debtor_id == number.person_id, CaseContact.person_id == number.person_id)
            )
            .order_by(Case.debtor_id != number.person_id, Case.id)
            .limit(1)
        )
        if case_id is None:
            return None
        attempt = CallAttempt(
            case_id=case_id,
            person_id=number.person_id,
            phone_number_id=number.id,
            e164=e164,
            agent_id=agent_id,
            direction=Direction.INBOUND,
            status=AttemptStatus.ANSWERED,
            reserved_at=at,
            answered_at=at,
            ruleset_version="inbound",
            decision_reason="inbound call from the customer: not counted toward caps",
        )
        session.add(attempt)
        session.flush()
        return attempt.id
