"""Test data in a database: the sample cases and handy look-ups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from store.case_import import import_cases
from store.db import SessionFactory
from store.enums import AttemptStatus, Direction
from store.models import CallAttempt, Case, CaseContact, PhoneNumber
from tests.conftest import SAMPLE_CASES


@dataclass(frozen=True)
class Target:
    case_id: int
    phone_number_id: int
    person_id: int
    e164: str


def load_sample(sessions: SessionFactory) -> None:
    import_cases(SAMPLE_CASES, sessions, "test")


def debtor_targets(sessions: SessionFactory, status: str = "active") -> list[Target]:
    with sessions() as session:
        rows = session.execute(
            select(Case.id, PhoneNumber.id, PhoneNumber.person_id, PhoneNumber.e164)
            .join(PhoneNumber, PhoneNumber.person_id == Case.debtor_id)
            .where(Case.status == status)
            .order_by(Case.id, PhoneNumber.id)
        ).all()
    return [Target(*row) for row in rows]


def contact_targets(sessions: SessionFactory, relation: str) -> list[Target]:
    with sessions() as session:
        rows = session.execute(
            select(CaseContact.case_id, PhoneNumber.id, PhoneNumber.person_id, PhoneNumber.e164)
            .join(PhoneNumber, PhoneNumber.person_id == CaseContact.person_id)
            .where(CaseContact.relation == relation)
            .order_by(CaseContact.case_id, PhoneNumber.id)
        ).all()
    return [Target(*row) for row in rows]


def add_attempts(
    sessions: SessionFactory,
    target: Target,
    times: list[datetime],
    status: AttemptStatus,
    direction: Direction = Direction.OUTBOUND,
    *,
    up: bool = False,
    cause: str | None = None,
) -> None:
    """Record attempts as if they had been dialled (or received) at ``times``: a minute
    later each had ended, unless ``up`` (the call is still going) or still in flight.
    A failed one ended as the dialer writes a failure on the callee's side, unless
    ``cause`` says otherwise."""
    in_flight = status in {AttemptStatus.RESERVED, AttemptStatus.ORIGINATED}
    if cause is None and status is AttemptStatus.FAILED:
        cause = "destination out of order (cause 27)"
    with sessions.begin() as session:
        for at in times:
            session.add(
                CallAttempt(
                    case_id=target.case_id,
                    person_id=target.person_id,
                    e164=target.e164,
                    phone_number_id=target.phone_number_id,
                    direction=direction,
                    status=status,
                    reserved_at=at,
                    ended_at=None if up or in_flight else at + timedelta(minutes=1),
                    hangup_cause=cause,
                    ruleset_version="test",
                )
            )
