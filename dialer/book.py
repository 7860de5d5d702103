"""The case book as the scheduler reads it: cases and their numbers, held as columns (pure).

A million numbers held as a million objects (or tuples) cost time to make, memory to
keep, and a walk by the garbage collector each time it looks at the old generation
(2.4 million live objects took 2.6 s per full collection). Held as a dozen lists per
table they cost none of that, and the loader fills them a batch at a time with
``zip``/``map`` rather than a Python statement per number. The objects callers read,
:class:`CaseEntry` and :class:`NumberEntry`, are made from a slot when it is read.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from compliance.policy import (
    AttemptHistory,
    CaseFacts,
    Consent,
    ContactType,
    DebtorReach,
    NumberFacts,
    PersonFacts,
)
from compliance.policy.facts import NO_REACH


@dataclass(frozen=True, slots=True)
class CaseEntry:
    """A case as the scheduler sees it."""

    facts: CaseFacts
    account_no: str
    imported_at: datetime
    days_past_due: int
    amount_overdue_cents: int
    agent: str | None
    promised_date: date | None = None
    attempted: bool = False
    """Ever dialled (all time, not just the policy's lookback)."""
    last_connected_at: datetime | None = None
    """The last answered outbound call on this case (all time)."""


@dataclass(frozen=True, slots=True)
class NumberEntry:
    """One number of one person linked to a case, with the history the rules need."""

    case: CaseEntry
    number: NumberFacts
    person: PersonFacts
    kind: str
    history: AttemptHistory
    phone_number_id: int = 0


@dataclass(slots=True)
class CaseColumns:
    """Every case, one slot each: slot ``s`` of each list belongs to the same case."""

    case_id: list[int] = field(default_factory=list)
    client_bank: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    hold_reason: list[str | None] = field(default_factory=list)
    account_no: list[str] = field(default_factory=list)
    imported_at: list[datetime] = field(default_factory=list)
    days_past_due: list[int] = field(default_factory=list)
    amount_overdue_cents: list[int] = field(default_factory=list)
    agent: list[str | None] = field(default_factory=list)
    promised_date: list[date | None] = field(default_factory=list)
    attempted: list[bool] = field(default_factory=list)
    last_connected_at: list[datetime | None] = field(default_factory=list)
    debtor: list[DebtorReach] = field(default_factory=list)
    """What the third-party gate reads about each case's debtor (see dialer.debtor_reach)."""
    consents: list[tuple[Consent, ...]] = field(default_factory=list)
    """Each case's consents (issue 19; empty when none was loaded: none counts)."""

    def __len__(self) -> int:
        return len(self.case_id)

    def append(self, case: CaseEntry) -> int:
        """Add a case; returns its slot."""
        facts = case.facts
        self.case_id.append(facts.case_id)
        self.client_bank.append(facts.client_bank)
        self.status.append(facts.status)
        self.hold_reason.append(facts.hold_reason)
        self.account_no.append(case.account_no)
        self.imported_at.append(case.imported_at)
        self.days_past_due.append(case.days_past_due)
        self.amount_overdue_cents.append(case.amount_overdue_cents)
        self.agent.append(case.agent)
        self.promised_date.append(case.promised_date)
        self.attempted.append(case.attempted)
        self.last_connected_at.append(case.last_connected_at)
        self.debtor.append(facts.debtor)
        self.consents.append(facts.consents)
        return len(self.case_id) - 1

    def facts(self, slot: int) -> CaseFacts:
        return CaseFacts(
            self.case_id[slot],
            self.client_bank[slot],
            self.status[slot],
            self.hold_reason[slot],
            self.debtor[slot] if self.debtor else NO_REACH,
            self.consents[slot] if self.consents else (),
        )

    def entry(self, slot: int) -> CaseEntry:
        return CaseEntry(
            self.facts(slot),
            self.account_no[slot],
            self.imported_at[slot],
            self.days_past_due[slot],
            self.amount_overdue_cents[slot],
            self.agent[slot],
            self.promised_date[slot],
            self.attempted[slot],
            self.last_connected_at[slot],
        )


@dataclass(slots=True)
class NumberColumns:
    """Every (case, number) pair, one position each; ``case`` holds the case's slot."""

    # machine ints: nothing for the garbage collector to visit, 8 bytes a number, not 40
    case: array[int] = field(default_factory=lambda: array("q"))
    phone_number_id: array[int] = field(default_factory=lambda: array("q"))
    person_id: array[int] = field(default_factory=lambda: array("q"))
    e164: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    state: list[str] = field(default_factory=list)
    contact_type: list[ContactType] = field(default_factory=list)
    do_not_call: list[bool] = field(default_factory=list)
    time_zones: list[tuple[str, ...]] = field(default_factory=list)
    history: list[AttemptHistory] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.case)

    def append(self, slot: int, entry: NumberEntry) -> None:
        number, person = entry.number, entry.person
        self.case.append(slot)
        self.phone_number_id.append(entry.phone_number_id)
        self.person_id.append(person.person_id)
        self.e164.append(number.e164)
        self.kind.append(entry.kind)
        self.state.append(number.state)
        self.contact_type.append(person.contact_type)
        self.do_not_call.append(number.do_not_call)
        self.time_zones.append(number.time_zones)
        self.history.append(entry.history)

    def number_facts(self, position: int) -> NumberFacts:
        return NumberFacts(
            self.e164[position],
            self.do_not_call[position],
            self.state[position],
            self.time_zones[position],
        )

    def person_facts(self, position: int) -> PersonFacts:
        return PersonFacts(self.person_id[position], self.contact_type[position])


@dataclass(slots=True)
class Book:
    """Cases and the numbers linked to them."""

    cases: CaseColumns = field(default_factory=CaseColumns)
    numbers: NumberColumns = field(default_factory=NumberColumns)

    @staticmethod
    def of(entries: Iterable[NumberEntry]) -> Book:
        """A book from entries made one by one; a case is taken as its first entry has it."""
        book = Book()
        slots: dict[int, int] = {}
        for entry in entries:
            case_id = entry.case.facts.case_id
            slot = slots.get(case_id)
            if slot is None:
                slot = slots[case_id] = book.cases.append(entry.case)
            book.numbers.append(slot, entry)
        return book

    def entry(self, position: int) -> NumberEntry:
        numbers = self.numbers
        return NumberEntry(
            self.cases.entry(numbers.case[position]),
            numbers.number_facts(position),
            numbers.person_facts(position),
            numbers.kind[position],
            numbers.history[position],
            numbers.phone_number_id[position],
        )
