"""Loading what the scheduler needs from the database, in a handful of bulk queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from compliance.policy import AttemptHistory, CaseFacts, NumberFacts, PastAttempt, PersonFacts
from compliance.policy.zones import zones_for_number
from dialer.gate import OUTCOME_OF_STATUS, contact_type
from dialer.scheduler import CaseEntry, NumberEntry
from store.enums import AttemptStatus, Direction
from store.models import (
    Agent,
    CallAttempt,
    Case,
    CaseContact,
    ClientBank,
    CollectionNote,
    DoNotCall,
    Hold,
    PhoneNumber,
)
from store.types import UTCDateTime


def load_cases(session: Session) -> dict[int, CaseEntry]:
    holds = dict(
        session.execute(select(Hold.case_id, Hold.reason).where(Hold.cleared_at.is_(None))).all()
    )
    promises: dict[int, date] = {}
    for case_id, promised_date in session.execute(
        select(CollectionNote.case_id, CollectionNote.promised_date)
        .where(CollectionNote.promised_date.is_not(None))
        .order_by(CollectionNote.created_at)
    ):
        if promised_date is not None:
            promises[case_id] = promised_date
    rows = session.execute(
        select(
            Case.id,
            ClientBank.code,
            Case.status,
            Case.account_no,
            Case.imported_at,
            Case.days_past_due,
            Case.amount_overdue_cents,
            Agent.code,
        )
        .join(ClientBank, ClientBank.id == Case.client_bank_id)
        .outerjoin(Agent, Agent.id == Case.assigned_agent_id)
    )
    contact = _contact_so_far(session)
    cases = {}
    for case_id, bank, status, account, imported, dpd, cents, agent in rows:
        hold = holds.get(case_id)
        facts = CaseFacts(case_id, bank, status.value, hold.value if hold else None)
        attempted, last_connected = contact.get(case_id, (False, None))
        cases[case_id] = CaseEntry(
            facts,
            account,
            imported,
            dpd,
            cents,
            agent,
            promises.get(case_id),
            attempted,
            last_connected,
        )
    return cases


def _contact_so_far(session: Session) -> dict[int, tuple[bool, datetime | None]]:
    """Per case, over all time: ever dialled, and when last answered."""
    answered = sql_case((CallAttempt.status == AttemptStatus.ANSWERED, CallAttempt.reserved_at))
    rows = session.execute(
        select(CallAttempt.case_id, type_coerce(func.max(answered), UTCDateTime()))
        .where(
            CallAttempt.direction == Direction.OUTBOUND, CallAttempt.status != AttemptStatus.BLOCKED
        )
        .group_by(CallAttempt.case_id)
    )
    return {case_id: (True, last) for case_id, last in rows}


ByPerson = dict[int, list[PastAttempt]]
ByNumber = dict[str, list[PastAttempt]]


def _history(session: Session, since: datetime) -> tuple[ByPerson, ByNumber]:
    by_person: dict[int, list[PastAttempt]] = defaultdict(list)
    by_number: dict[str, list[PastAttempt]] = defaultdict(list)
    rows = session.connection().execute(
        select(
            CallAttempt.reserved_at,
            CallAttempt.person_id,
            CallAttempt.case_id,
            CallAttempt.e164,
            _text(CallAttempt.status),
        )
        .where(
            CallAttempt.direction == Direction.OUTBOUND,
            CallAttempt.status != AttemptStatus.BLOCKED,
            CallAttempt.reserved_at > since,
        )
        .order_by(CallAttempt.reserved_at)
    )
    for at, person, case, e164, status in rows:
        attempt = PastAttempt(at, person, case, e164, OUTCOME_OF_STATUS[AttemptStatus(status)])
        by_person[person].append(attempt)
        by_number[e164].append(attempt)
    return by_person, by_number


def load_entries(
    session: Session, now: datetime, lookback: timedelta, *, with_zones: bool = True
) -> Iterator[NumberEntry]:
    """Every (case, number) pair: the debtor's numbers and every contact's.

    ``with_zones``: look up each number's time zones (only callee-clock profiles need them).
    """
    cases = load_cases(session)
    dnc = set(session.scalars(select(DoNotCall.e164)))
    by_person, by_number = _history(session, now - lookback)
    # Core execution with enums read as plain strings: a million rows skip the ORM's row work.
    conn = session.connection()
    kind, state = _text(PhoneNumber.kind), _text(PhoneNumber.state)
    debtor_numbers = conn.execute(
        select(Case.id, PhoneNumber.id, PhoneNumber.person_id, PhoneNumber.e164, kind, state).join(
            PhoneNumber, PhoneNumber.person_id == Case.debtor_id
        )
    )
    contact_numbers = conn.execute(
        select(
            CaseContact.case_id,
            PhoneNumber.id,
            PhoneNumber.person_id,
            PhoneNumber.e164,
            kind,
            state,
            _text(CaseContact.relation),
        ).join(PhoneNumber, PhoneNumber.person_id == CaseContact.person_id)
    )
    empty = AttemptHistory()
    for row in [*((*r, "debtor") for r in debtor_numbers), *contact_numbers]:
        case_id, number_id, person_id, e164, number_kind, state, relation = row
        own, shared = by_person.get(person_id), by_number.get(e164)
        if own is None and shared is None:
            history = empty
        else:
            others = [a for a in shared or () if a.person_id != person_id]
            history = AttemptHistory.of([*(own or ()), *others])
        yield NumberEntry(
            case=cases[case_id],
            number=NumberFacts(
                e164, e164 in dnc, state, zones_for_number(e164) if with_zones else ()
            ),
            person=PersonFacts(person_id, contact_type(relation)),
            kind=number_kind,
            history=history,
            phone_number_id=number_id,
        )


def _text(column: Any) -> Any:
    """An enum column read as its stored string."""
    return type_coerce(column, String)


def active_agents(session: Session) -> list[str]:
    return list(session.scalars(select(Agent.code).where(Agent.active).order_by(Agent.code)))
