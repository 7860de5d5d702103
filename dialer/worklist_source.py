"""Loading what the scheduler needs from the database, in a handful of bulk queries.

The rows become the policy's facts through :mod:`dialer.facts`, the translation the
reservation uses at dial time too; the history and holds are read through the same store
filters (:func:`store.dial_filters.counted_attempts`, :func:`store.dial_filters.open_holds`)
and the debtor's reach as the reservation reads it (:mod:`dialer.debtor_reach`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import partial
from itertools import compress, repeat
from operator import ne
from typing import Any

from sqlalchemy import Executable, String, func, literal, select, type_coerce
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from compliance.policy import Profile
from compliance.policy.facts import NO_REACH
from dialer.book import Book, CaseColumns, NumberColumns
from dialer.debtor_reach import attach_debtor_reach, needs_debtor_reach
from dialer.errors import BookUnreadable
from dialer.facts import Histories, case_consents, contact_type, past_attempt, time_zones
from dialer.scheduler import Schedule, schedule_book
from store.book_scope import WHOLE_BOOK, BookScope
from store.dial_filters import (
    LONGEST_CALL,
    calls_up,
    consents_in_force,
    counted_attempts,
    open_holds,
)
from store.enums import AttemptStatus, NumberKind, NumberState, Relation
from store.models import (
    Agent,
    CallAttempt,
    Case,
    CaseConsent,
    CaseContact,
    ClientBank,
    CollectionNote,
    DoNotCall,
    Hold,
    PhoneNumber,
)
from store.types import UTCDateTime


def load_cases(
    session: Session, scope: BookScope = WHOLE_BOOK
) -> tuple[CaseColumns, dict[int, int]]:
    """Every case (of ``scope``), and each case id's slot."""
    holds: dict[int, str] = {}
    for case_id, reason in session.execute(open_holds().where(scope.cases(Hold.case_id))):
        holds.setdefault(case_id, reason.value)  # the first placed, as at dial time
    promises: dict[int, date] = {}
    for case_id, promised_date in session.execute(
        select(CollectionNote.case_id, CollectionNote.promised_date)
        .where(CollectionNote.promised_date.is_not(None), scope.cases(CollectionNote.case_id))
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
            .outerjoin(Agent, Agent.id == Case.assigned_agent_id)
            .where(scope.cases(Case.id)),
        )
    )
    cases = CaseColumns()
    if rows:
        columns = [list(column) for column in zip(*rows, strict=True)]
        del rows
        ids, banks, statuses, accounts, imported, dpd, cents, agents = columns
        contact = _contact_so_far(session, scope)
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


def _contact_so_far(session: Session, scope: BookScope) -> dict[int, datetime | None]:
    """The cases ever dialled (over all time), each with when it was last answered."""
    answered = sql_case((CallAttempt.status == AttemptStatus.ANSWERED, CallAttempt.reserved_at))
    rows = session.execute(
        select(CallAttempt.case_id, type_coerce(func.max(answered), UTCDateTime()))
        .where(counted_attempts(None), scope.cases(CallAttempt.case_id))
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


def _history(session: Session, now: datetime, lookback: timedelta, scope: BookScope) -> Histories:
    """The counted attempts in the ``lookback`` before ``now`` (that ``scope``'s histories
    may hold), oldest first, and the calls up at ``now``."""
    attempts = (
        select(
            CallAttempt.reserved_at,
            CallAttempt.person_id,
            CallAttempt.case_id,
            CallAttempt.e164,
            _text(CallAttempt.status),
            CallAttempt.id,
        )
        .where(counted_attempts(now - lookback), scope.attempts())
        .order_by(CallAttempt.reserved_at, CallAttempt.id)
    )
    up = select(CallAttempt.person_id, CallAttempt.e164, CallAttempt.reserved_at).where(
        calls_up(now), scope.attempts()
    )
    instant = _instants(session, distinct=True)
    return Histories(
        (
            past_attempt(instant(at), person, case, e164, status, attempt_id=attempt_id)
            for at, person, case, e164, status, attempt_id in _rows(session, attempts)
        ),
        [(person, e164, instant(at) + LONGEST_CALL) for person, e164, at in _rows(session, up)],
    )


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
    scope: BookScope = WHOLE_BOOK,
) -> Book:
    """Every case and every (case, number) pair: the debtor's numbers and every contact's.
    ``scope``: only some cases (their facts read as a whole-book load reads them).

    ``with_zones``: look up each number's time zones (only callee-clock profiles need them).
    ``with_debtor_reach``: each case's debtor facts (only the third-party gate reads them).
    """
    cases, slot_of = load_cases(session, scope)
    dnc = set(session.scalars(select(DoNotCall.e164).where(scope.e164s(DoNotCall.e164))))
    histories = _history(session, now, lookback, scope)
    debtor_of: dict[int, int] = dict(
        _rows(session, select(Case.id, Case.debtor_id).where(scope.cases(Case.id)))
    )
    numbers = NumberColumns()
    fill = _NumberFill(numbers, slot_of, dnc, histories, debtor_of, with_zones=with_zones)
    number = (PhoneNumber.id, PhoneNumber.person_id, PhoneNumber.e164)
    # Ordered so that a case's numbers of one kind keep the case file's order: the debtor's
    # by number, the contacts' contact by contact (both follow an index on SQLite).
    debtor_numbers = (
        select(Case.id, *number, fill.debtors.expression)
        .join(PhoneNumber, PhoneNumber.person_id == Case.debtor_id)
        .where(scope.cases(Case.id))
        .order_by(PhoneNumber.person_id, PhoneNumber.e164)
    )
    for batch in _batches(session, debtor_numbers):
        fill.add(zip(*batch, strict=True), fill.debtors)
    contact_numbers = (
        select(CaseContact.case_id, *number, fill.contacts.expression)
        .join(PhoneNumber, PhoneNumber.person_id == CaseContact.person_id)
        .where(scope.cases(CaseContact.case_id))
        .order_by(CaseContact.case_id, CaseContact.person_id, PhoneNumber.e164)
    )
    for batch in _batches(session, contact_numbers):
        fill.add(zip(*batch, strict=True), fill.contacts)
    book = Book(cases, numbers)
    # issue 19 (consent): few cases have one, so one small query, through the dial-time filter
    consents = case_consents(
        (case, consent, kind, since, until)
        for case, consent, kind, since, until in session.execute(
            consents_in_force(now).where(scope.cases(CaseConsent.case_id))
        )
    )
    cases.consents = [consents.get(case_id, ()) for case_id in cases.case_id]
    if with_debtor_reach:
        attach_debtor_reach(session, book, scope.case_ids)  # issue 19: dialer.debtor_reach
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
        histories: Histories,
        debtor_of: dict[int, int],
        *,
        with_zones: bool,
    ) -> None:
        self.numbers, self.slot_of, self.dnc = numbers, slot_of, dnc
        self.histories, self.debtor_of, self.with_zones = histories, debtor_of, with_zones
        self.debtors = _Coded((PhoneNumber.kind, NumberKind), (PhoneNumber.state, NumberState))
        self.contacts = _Coded(
            (PhoneNumber.kind, NumberKind),
            (PhoneNumber.state, NumberState),
            (CaseContact.relation, Relation),
        )
        self.debtor_type = contact_type(None, is_debtor=True)
        # a contact row of the case's own debtor is dropped (see _not_the_debtor)
        self.contact_types = [
            contact_type(value, is_debtor=False) for value in self.contacts.tables[2]
        ]

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
        kept = self._kept(slots, case_ids, person_ids, coded)
        if kept is not None:
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
            numbers.contact_type.extend(repeat(self.debtor_type, rows))
        else:
            numbers.contact_type.extend(map(self.contact_types.__getitem__, codes))
        dnc = self.dnc
        numbers.do_not_call.extend([e164 in dnc for e164 in e164s])
        if self.with_zones:
            numbers.time_zones.extend(map(partial(time_zones, needed=True), e164s))
        else:
            numbers.time_zones.extend(repeat((), rows))
        numbers.history.extend(self.histories.of(person_ids, e164s))

    def _kept(
        self,
        slots: tuple[int | None, ...],
        case_ids: tuple[int, ...],
        person_ids: tuple[int, ...],
        coded: _Coded,
    ) -> list[bool] | None:
        """Which rows of the batch go in the book (None: all of them).

        Left out: a case imported after the cases were read (PostgreSQL reads each query at
        its own snapshot), whose numbers wait for the next build; and, among contacts, the
        case's own debtor, who is still the debtor (:func:`dialer.facts.contact_type`) and
        whose numbers the debtor rows already hold.
        """
        unread = None in slots
        if coded is self.contacts:
            kept = list(map(ne, map(self.debtor_of.get, case_ids), person_ids))
            if unread:
                kept = [keep and slot is not None for keep, slot in zip(kept, slots, strict=True)]
            return None if all(kept) else kept
        return [slot is not None for slot in slots] if unread else None


def _batches(session: Session, statement: Executable) -> Iterator[Sequence[tuple[Any, ...]]]:
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


def _rows(session: Session, statement: Executable) -> Iterator[tuple[Any, ...]]:
    for batch in _batches(session, statement):
        yield from batch


def _text(column: Any) -> Any:
    """An enum column read as its stored string."""
    return type_coerce(column, String)


def active_agents(session: Session) -> list[str]:
    return list(session.scalars(select(Agent.code).where(Agent.active).order_by(Agent.code)))
