"""Loading what the scheduler needs from the database, in a handful of bulk queries."""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, func, select, type_coerce
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from compliance.policy import AttemptHistory, CaseFacts, ContactType, PastAttempt, Profile
from compliance.policy.zones import zones_for_number
from dialer.gate import OUTCOME_OF_STATUS
from dialer.scheduler import Candidate, CaseEntry, Schedule, schedule_candidates
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
    rows = _rows(
        session,
        select(
            Case.id,
            ClientBank.code,
            _text(Case.status),
            Case.account_no,
            Case.imported_at,
            Case.days_past_due,
            Case.amount_overdue_cents,
            Agent.code,
        )
        .join(ClientBank, ClientBank.id == Case.client_bank_id)
        .outerjoin(Agent, Agent.id == Case.assigned_agent_id),
    )
    contact = _contact_so_far(session)
    instant = _instants(session)
    cases = {}
    for case_id, bank, status, account, imported, dpd, cents, agent in rows:
        hold = holds.get(case_id)
        facts = CaseFacts(case_id, bank, status, hold.value if hold else None)
        attempted, last_connected = contact.get(case_id, (False, None))
        cases[case_id] = CaseEntry(
            facts,
            account,
            instant(imported),
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


def _instants(session: Session) -> Callable[[Any], datetime]:
    """The driver's value of a UTC timestamp column → an aware datetime, as the column type
    reads it; a case book holds few distinct import instants, so each is read once."""
    dialect = session.connection().dialect
    process = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    seen: dict[Any, datetime] = {}

    def instant(raw: Any) -> datetime:
        found = seen.get(raw)
        if found is None:
            value = process(raw) if process else raw
            if not isinstance(value, datetime):
                raise TypeError(f"not a timestamp: {raw!r}")  # imported_at is NOT NULL
            found = seen[raw] = value
        return found

    return instant


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
    outcomes = {status.value: outcome for status, outcome in OUTCOME_OF_STATUS.items()}
    for at, person, case, e164, status in rows:
        attempt = PastAttempt(at, person, case, e164, outcomes[status])
        by_person[person].append(attempt)
        by_number[e164].append(attempt)
    return by_person, by_number


def build_worklists(
    session: Session, profile: Profile, now: datetime, agents: Sequence[str]
) -> Schedule:
    """Every agent's worklist at ``now``, straight from the book.

    The garbage collector is paused meanwhile: a million numbers make millions of
    tuples, all alive until the end, and each full collection would walk them all
    again for nothing (it doubled the time of a 1,000,000-number build).
    """
    with _collector_paused():
        candidates = load_candidates(
            session, now, profile.lookback(), with_zones=profile.clock == "callee"
        )
        return schedule_candidates(candidates, profile, now, agents)


@contextmanager
def _collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_candidates(
    session: Session, now: datetime, lookback: timedelta, *, with_zones: bool = True
) -> Iterator[Candidate]:
    """Every (case, number) pair: the debtor's numbers and every contact's.

    ``with_zones``: look up each number's time zones (only callee-clock profiles need them).
    """
    cases = load_cases(session)
    dnc = set(session.scalars(select(DoNotCall.e164)))
    by_person, by_number = _history(session, now - lookback)
    kind, state = _text(PhoneNumber.kind), _text(PhoneNumber.state)
    debtor_numbers = _rows(
        session,
        select(Case.id, PhoneNumber.id, PhoneNumber.person_id, PhoneNumber.e164, kind, state).join(
            PhoneNumber, PhoneNumber.person_id == Case.debtor_id
        ),
    )
    contact_numbers = _rows(
        session,
        select(
            CaseContact.case_id,
            PhoneNumber.id,
            PhoneNumber.person_id,
            PhoneNumber.e164,
            kind,
            state,
            _text(CaseContact.relation),
        ).join(PhoneNumber, PhoneNumber.person_id == CaseContact.person_id),
    )
    empty = AttemptHistory()
    debtor = ContactType.DEBTOR
    relations = {kind.value: kind for kind in ContactType}  # contact_type(), inlined
    # The driver makes a new 'mobile' and 'unverified' for every row: keeping one of each
    # saves two million strings, a seventh of the memory.
    words: dict[str, str] = {}
    for rows, fixed in ((debtor_numbers, debtor), (contact_numbers, None)):
        for row in rows:
            case_id, number_id, person_id, e164, number_kind, number_state = row[:6]
            own, shared = by_person.get(person_id), by_number.get(e164)
            if own is None and shared is None:
                history = empty
            else:
                others = [a for a in shared or () if a.person_id != person_id]
                history = AttemptHistory.of([*(own or ()), *others])
            yield (
                cases[case_id],
                number_id,
                person_id,
                e164,
                words.setdefault(number_kind, number_kind),
                words.setdefault(number_state, number_state),
                fixed or relations.get(row[6], ContactType.UNKNOWN),
                e164 in dnc,
                zones_for_number(e164) if with_zones else (),
                history,
            )


def _rows(session: Session, statement: Select[Any]) -> Iterator[tuple[Any, ...]]:
    """Plain tuples straight from the driver's cursor, in the session's transaction, a batch
    at a time: for a million rows of ints and strings SQLAlchemy's result rows cost a second
    or two, and holding them all would double the memory."""
    connection = session.connection()
    sql = str(statement.compile(dialect=connection.dialect))
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(10_000):
            yield from batch
    finally:
        cursor.close()


def _text(column: Any) -> Any:
    """An enum column read as its stored string."""
    return type_coerce(column, String)


def active_agents(session: Session) -> list[str]:
    return list(session.scalars(select(Agent.code).where(Agent.active).order_by(Agent.code)))
