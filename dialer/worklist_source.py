"""Loading what the scheduler needs from the database, in a handful of bulk queries."""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from enum import StrEnum
from itertools import compress, count, repeat
from typing import Any

from sqlalchemy import Select, String, func, literal, select, type_coerce
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from compliance.policy import AttemptHistory, ContactType, PastAttempt, Profile
from compliance.policy.facts import NO_REACH
from compliance.policy.zones import zones_for_number
from dialer.book import Book, CaseColumns, NumberColumns
from dialer.debtor_reach import attach_debtor_reach, needs_debtor_reach
from dialer.errors import BookUnreadable
from dialer.gate import OUTCOME_OF_STATUS
from dialer.scheduler import Schedule, schedule_book
from store.enums import AttemptStatus, Direction, NumberKind, NumberState, Relation
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


def load_cases(session: Session) -> tuple[CaseColumns, dict[int, int]]:
    """Every case, and each case id's slot."""
    holds = {
        case_id: reason.value
        for case_id, reason in session.execute(
            select(Hold.case_id, Hold.reason).where(Hold.cleared_at.is_(None))
        )
    }
    promises: dict[int, date] = {}
    for case_id, promised_date in session.execute(
        select(CollectionNote.case_id, CollectionNote.promised_date)
        .where(CollectionNote.promised_date.is_not(None))
        .order_by(CollectionNote.created_at)
    ):
        if promised_date is not None:
            promises[case_id] = promised_date
    rows = list(
        _rows(
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
    )
    cases = CaseColumns()
    if rows:
        columns = [list(column) for column in zip(*rows, strict=True)]
        del rows
        ids, banks, statuses, accounts, imported, dpd, cents, agents = columns
        contact = _contact_so_far(session)
        cases = CaseColumns(
            ids,
            banks,
            statuses,
            list(map(holds.get, ids)),
            accounts,
            list(map(_instants(session, distinct=False), imported)),
            dpd,
            cents,
            agents,
            list(map(promises.get, ids)),
            [case_id in contact for case_id in ids],
            list(map(contact.get, ids)),
            [NO_REACH] * len(ids),  # issue 19: filled by dialer.debtor_reach
        )
    return cases, dict(zip(cases.case_id, range(len(cases)), strict=True))


def _contact_so_far(session: Session) -> dict[int, datetime | None]:
    """The cases ever dialled (over all time), each with when it was last answered."""
    answered = sql_case((CallAttempt.status == AttemptStatus.ANSWERED, CallAttempt.reserved_at))
    rows = session.execute(
        select(CallAttempt.case_id, type_coerce(func.max(answered), UTCDateTime()))
        .where(
            CallAttempt.direction == Direction.OUTBOUND, CallAttempt.status != AttemptStatus.BLOCKED
        )
        .group_by(CallAttempt.case_id)
    )
    return {case_id: last for case_id, last in rows}


def _instants(session: Session, *, distinct: bool) -> Callable[[Any], datetime]:
    """The driver's value of a UTC timestamp column → an aware datetime, as the column type
    reads it. ``distinct=False``: the values repeat (a case book holds few import instants),
    so each is read once."""
    dialect = session.connection().dialect
    process = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)

    def read(raw: Any) -> datetime:
        value = process(raw) if process else raw
        if not isinstance(value, datetime):
            raise TypeError(f"not a timestamp: {raw!r}")  # the columns read are NOT NULL
        return value

    return read if distinct else _ReadOnce(read).__getitem__


class _ReadOnce(dict[Any, datetime]):
    """Each distinct value read once; a repeat is a lookup in C."""

    def __init__(self, read: Callable[[Any], datetime]) -> None:
        super().__init__()
        self.read = read

    def __missing__(self, raw: Any) -> datetime:
        value = self[raw] = self.read(raw)
        return value


EMPTY_HISTORY = AttemptHistory()
ByPerson = dict[int, list[PastAttempt]]
ByNumber = dict[str, list[PastAttempt]]


def _history(session: Session, since: datetime) -> tuple[ByPerson, ByNumber]:
    """The attempts since ``since``, oldest first, by person and by number."""
    by_person: dict[int, list[PastAttempt]] = defaultdict(list)
    by_number: dict[str, list[PastAttempt]] = defaultdict(list)
    attempts = (
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
    instant = _instants(session, distinct=True)
    for at, person, case, e164, status in _rows(session, attempts):
        attempt = PastAttempt(instant(at), person, case, e164, outcomes[status])
        by_person[person].append(attempt)
        by_number[e164].append(attempt)
    return by_person, by_number


def build_worklists(
    session: Session, profile: Profile, now: datetime, agents: Sequence[str]
) -> Schedule:
    """Every agent's worklist at ``now``, straight from the book.

    The garbage collector is paused meanwhile: the build makes millions of short-lived
    tuples (rows, keys), and a collection in between would walk the growing columns'
    contents for nothing.
    """
    with _collector_paused():
        book = load_book(
            session,
            now,
            profile.lookback(),
            with_zones=profile.clock == "callee",
            with_debtor_reach=needs_debtor_reach(profile),  # issue 19: the third-party gate
        )
        return schedule_book(book, profile, now, agents)


@contextmanager
def _collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_book(
    session: Session,
    now: datetime,
    lookback: timedelta,
    *,
    with_zones: bool = True,
    with_debtor_reach: bool = True,
) -> Book:
    """Every case and every (case, number) pair: the debtor's numbers and every contact's.

    ``with_zones``: look up each number's time zones (only callee-clock profiles need them).
    ``with_debtor_reach``: each case's debtor facts (only the third-party gate reads them).
    """
    cases, slot_of = load_cases(session)
    dnc = set(session.scalars(select(DoNotCall.e164)))
    by_person, by_number = _history(session, now - lookback)
    numbers = NumberColumns()
    fill = _NumberFill(numbers, slot_of, dnc, by_person, by_number, with_zones=with_zones)
    number = (PhoneNumber.id, PhoneNumber.person_id, PhoneNumber.e164)
    # Ordered so that a case's numbers of one kind keep the case file's order: the debtor's
    # by number, the contacts' contact by contact (both follow an index on SQLite).
    debtor_numbers = (
        select(Case.id, *number, fill.debtors.expression)
        .join(PhoneNumber, PhoneNumber.person_id == Case.debtor_id)
        .order_by(PhoneNumber.person_id, PhoneNumber.e164)
    )
    for batch in _batches(session, debtor_numbers):
        fill.add(zip(*batch, strict=True), fill.debtors)
    contact_numbers = (
        select(CaseContact.case_id, *number, fill.contacts.expression)
        .join(PhoneNumber, PhoneNumber.person_id == CaseContact.person_id)
        .order_by(CaseContact.case_id, CaseContact.person_id, PhoneNumber.e164)
    )
    for batch in _batches(session, contact_numbers):
        fill.add(zip(*batch, strict=True), fill.contacts)
    book = Book(cases, numbers)
    if with_debtor_reach:
        attach_debtor_reach(session, book)  # issue 19: dialer.debtor_reach
    return book


class _Coded:
    """Enum columns read as one small int, decoded by table: the driver then makes no
    string per row for them (two or three a row, a million rows).

    ``tables[i][code]`` is column i's value; a value the enum does not know (the schema's
    CHECK forbids it) makes the code NULL.
    """

    def __init__(self, *columns: tuple[Any, type[StrEnum]]) -> None:
        expression: Any = literal(0)
        combos: list[tuple[str, ...]] = [()]
        for column, enum in columns:
            values = [str(member.value) for member in enum]
            index = sql_case(*((_text(column) == value, i) for i, value in enumerate(values)))
            expression = expression * len(values) + index
            combos = [(*combo, value) for combo in combos for value in values]
        self.expression = expression
        self.tables = list(zip(*combos, strict=True))


class _NumberFill:
    """Appends a batch of number rows to the columns, a column at a time."""

    def __init__(
        self,
        numbers: NumberColumns,
        slot_of: dict[int, int],
        dnc: set[str],
        by_person: ByPerson,
        by_number: ByNumber,
        *,
        with_zones: bool,
    ) -> None:
        self.numbers, self.slot_of, self.dnc = numbers, slot_of, dnc
        self.by_person, self.by_number, self.with_zones = by_person, by_number, with_zones
        self.debtors = _Coded((PhoneNumber.kind, NumberKind), (PhoneNumber.state, NumberState))
        self.contacts = _Coded(
            (PhoneNumber.kind, NumberKind),
            (PhoneNumber.state, NumberState),
            (CaseContact.relation, Relation),
        )
        self.contact_types = [ContactType(value) for value in self.contacts.tables[2]]
        self.own: dict[int, AttemptHistory] = {}
        # sets: a miss, the usual answer, is cheaper in a set than in a dict
        self.persons, self.dialled = frozenset(by_person), frozenset(by_number)

    def add(self, columns: Iterator[tuple[Any, ...]], coded: _Coded) -> None:
        """Add a batch given as its columns: case id, number id, person id, e164 and the
        ``coded`` kind, state (and for a contact, relation)."""
        numbers = self.numbers
        case_ids, number_ids, person_ids, e164s, codes = columns
        if None in codes:
            raise BookUnreadable(
                "phone_number.kind, phone_number.state or case_contact.relation holds a "
                "value the schema does not allow"
            )
        slots: tuple[Any, ...] = tuple(map(self.slot_of.get, case_ids))
        if None in slots:
            # A case imported after the cases were read (PostgreSQL reads each query at its
            # own snapshot): its numbers wait for the next build.
            kept = [slot is not None for slot in slots]
            slots, number_ids, person_ids, e164s, codes = (
                tuple(compress(column, kept))
                for column in (slots, number_ids, person_ids, e164s, codes)
            )
        rows = len(slots)
        numbers.case.extend(slots)
        numbers.phone_number_id.extend(number_ids)
        numbers.person_id.extend(person_ids)
        numbers.e164.extend(e164s)
        numbers.kind.extend(map(coded.tables[0].__getitem__, codes))
        numbers.state.extend(map(coded.tables[1].__getitem__, codes))
        if coded is self.debtors:
            numbers.contact_type.extend(repeat(ContactType.DEBTOR, rows))
        else:
            numbers.contact_type.extend(map(self.contact_types.__getitem__, codes))
        dnc = self.dnc
        numbers.do_not_call.extend([e164 in dnc for e164 in e164s])
        if self.with_zones:
            numbers.time_zones.extend(map(zones_for_number, e164s))
        else:
            numbers.time_zones.extend(repeat((), rows))
        numbers.history.extend(self._histories(person_ids, e164s))

    def _histories(
        self, person_ids: tuple[int, ...], e164s: tuple[str, ...]
    ) -> list[AttemptHistory]:
        """Each number's history: the person's attempts and others' on the same number.
        Most numbers have none, so only those found are built."""
        histories = [EMPTY_HISTORY] * len(person_ids)
        by_person, by_number, own = self.by_person, self.by_number, self.own
        persons, dialled = self.persons, self.dialled
        found = set(compress(count(), [person in persons for person in person_ids]))
        found.update(compress(count(), [e164 in dialled for e164 in e164s]))
        for index in found:
            person_id, e164 = person_ids[index], e164s[index]
            others = [a for a in by_number.get(e164, ()) if a.person_id != person_id]
            if others:
                mine = by_person.get(person_id, [])
                histories[index] = AttemptHistory.of([*mine, *others])
            else:  # a person's numbers share their history, already oldest first
                history = own.get(person_id)
                if history is None:
                    history = own[person_id] = AttemptHistory(tuple(by_person[person_id]))
                histories[index] = history
        return histories


def _batches(session: Session, statement: Select[Any]) -> Iterator[Sequence[tuple[Any, ...]]]:
    """Plain tuples straight from the driver's cursor, in the session's transaction, a batch
    at a time: SQLAlchemy binds the parameters, but for a million rows of ints and strings
    its result rows would cost a second or two, and holding them all would double the
    memory. Values come as the driver gives them (see :func:`_instants` for timestamps)."""
    result = session.connection().execute(statement)
    try:
        while batch := result.cursor.fetchmany(10_000):
            yield batch
    finally:
        result.close()


def _rows(session: Session, statement: Select[Any]) -> Iterator[tuple[Any, ...]]:
    for batch in _batches(session, statement):
        yield from batch


def _text(column: Any) -> Any:
    """An enum column read as its stored string."""
    return type_coerce(column, String)


def active_agents(session: Session) -> list[str]:
    return list(session.scalars(select(Agent.code).where(Agent.active).order_by(Agent.code)))
