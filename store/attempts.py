"""An attempt's life after its reservation: originated, answered, ended — or released."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from store.db import SessionFactory
from store.enums import AttemptStatus, Direction
from store.models import CallAttempt, Case, CaseContact, PhoneNumber

IN_FLIGHT = (AttemptStatus.RESERVED, AttemptStatus.ORIGINATED)


def mark_originated(sessions: SessionFactory, attempt_id: int, at: datetime) -> None:
    with sessions.begin() as session:
        _in_flight(session, attempt_id, status=AttemptStatus.ORIGINATED, originated_at=at)


def mark_answered(sessions: SessionFactory, attempt_id: int, at: datetime) -> None:
    with sessions.begin() as session:
        _in_flight(session, attempt_id, status=AttemptStatus.ANSWERED, answered_at=at)


def mark_ended(
    sessions: SessionFactory, attempt_id: int, status: AttemptStatus, cause: str, at: datetime
) -> None:
    """The final outcome; an attempt already blocked (on answer) keeps that status."""
    with sessions.begin() as session:
        session.execute(
            update(CallAttempt)
            .where(CallAttempt.id == attempt_id, CallAttempt.status != AttemptStatus.BLOCKED)
            .values(status=status, hangup_cause=cause[:64], ended_at=at)
        )


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


def _in_flight(session: Session, attempt_id: int, **values: object) -> None:
    session.execute(
        update(CallAttempt)
        .where(CallAttempt.id == attempt_id, CallAttempt.status.in_(IN_FLIGHT))
        .values(**values)
    )


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
