"""What the scheduler hands out: worklists and blocked numbers, read lazily from the book.

A worklist is the book's positions in dialling order plus, per case, why it is due
and who dials it; a :class:`WorkItem` is made when someone reads it, so a million
dialable numbers cost an array of positions, not a million objects.
"""

from __future__ import annotations

from abc import abstractmethod
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, TypeVar, overload

from dialer.book import Book, NumberEntry
from dialer.due_words import Why

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class WorkItem:
    entry: NumberEntry
    agent: str
    rule: str
    """Which due-ness tier put it here (``schedule.first_call`` …)."""
    reason: str
    """Why it is due; for a number only a debtor's consent made dialable, then the
    decision's words naming the consent (issue 19)."""
    due_by: datetime | None
    reason_zh: str = ""
    """The same reason in Chinese, for the console's reader (issue 20)."""
    reason_en: str = ""
    """The same reason in English only (``reason`` may quote a consent in both)."""


class KeptRow(NamedTuple):
    """A worklist item as the kept schedule stores it (see :meth:`Worklist.rows`)."""

    agent: str
    rule: str
    due_by: datetime | None
    days_past_due: int
    amount_overdue_cents: int
    case_id: int
    place: int
    phone_number_id: int
    account_no: str
    kind: str
    e164: str
    reason: str
    reached_today: bool = False
    """The case's debtor was reached today: the case sorts after those that were not."""
    reason_zh: str = ""
    reason_en: str = ""


@dataclass(frozen=True, slots=True)
class BlockedItem:
    entry: NumberEntry
    rule: str
    reason: str
    next_allowed_at: datetime | None
    reason_zh: str = ""
    """The reason in the agent's language (issue 22)."""


class BlockedRow(NamedTuple):
    """A blocked number of a case on a worklist, as the kept schedule stores it."""

    case_id: int
    phone_number_id: int
    rule: str
    reason_zh: str
    next_allowed_at: datetime | None
    reason_en: str = ""
    """The same reason in English (issue 20: for a reader who chose English)."""


@dataclass(slots=True)
class CasePlans:
    """Why each case is due and who dials it, by case slot (the same for all its numbers)."""

    agent: list[str] = field(default_factory=list)
    rule: list[str] = field(default_factory=list)
    reason: list[str] = field(default_factory=list)
    """In English (the CLI's and the JSON's words)."""
    due_by: list[datetime | None] = field(default_factory=list)
    reached_today: list[int] = field(default_factory=list)
    """1 where the case's debtor was reached today: it comes after every case that was not
    (an agent who has just spoken with them is not offered the case again next)."""
    why: list[Why] = field(default_factory=list)
    """The reasons in Chinese and in English, each alone (issue 20: the console shows its
    reader's language)."""


class _Lazy(Sequence[T]):
    """A sequence whose items are made when read, from their index."""

    @abstractmethod
    def _make(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self._make(i) for i in range(len(self))[index]]
        return self._make(range(len(self))[index])

    def __iter__(self) -> Iterator[T]:
        return map(self._make, range(len(self)))


@dataclass(slots=True)
class Said:
    """What a decision said of a dialable number that is worth showing, by position."""

    consented: dict[int, str] = field(default_factory=dict)
    """The words naming the debtor's consent that made it dialable."""
    grounded: dict[int, str] = field(default_factory=dict)
    """The grounds on which the third-party gate let it through (which test held)."""
    in_chinese: dict[int, str] = field(default_factory=dict)
    """Either of the above in Chinese only, by position (issue 20)."""
    in_english: dict[int, str] = field(default_factory=dict)
    """Either of the above in English only."""


class Worklist(_Lazy[WorkItem]):
    """Dialable numbers, most due first."""

    def __init__(
        self, book: Book, order: array[int], plans: CasePlans, said: Said | None = None
    ) -> None:
        self._book, self._order, self._plans = book, order, plans
        self._said = said or Said()
        self._consented = self._said.consented

    def by_consent(self) -> int:
        """How many of these numbers only a debtor's consent made dialable."""
        if not self._consented:
            return 0
        return sum(1 for position in self._order if position in self._consented)

    def consent_words(self) -> Counter[str]:
        """The words naming each consent that made numbers here dialable, with how many
        numbers each made so."""
        found = self._consented
        return Counter(found[p] for p in self._order if p in found) if found else Counter()

    def _reason(self, position: int, slot: int) -> str:
        found = self._consented.get(position) or self._said.grounded.get(position)
        reason = self._plans.reason[slot]
        return reason if found is None else f"{reason}; {found}"

    def _reasons(self, position: int, slot: int) -> tuple[str, str]:
        """The reason in Chinese and in English, each in one language only."""
        plans, said = self._plans, self._said
        zh, en = plans.why[slot] if plans.why else ("", plans.reason[slot])
        if (found := said.in_chinese.get(position)) is not None:
            zh = f"{zh}；{found}"
        if (found := said.in_english.get(position)) is not None:
            en = f"{en}; {found}"
        return zh, en

    def __len__(self) -> int:
        return len(self._order)

    def _make(self, index: int) -> WorkItem:
        position = self._order[index]
        plans, slot = self._plans, self._book.numbers.case[position]
        return WorkItem(
            self._book.entry(position),
            plans.agent[slot],
            plans.rule[slot],
            self._reason(position, slot),
            plans.due_by[slot],
            *self._reasons(position, slot),
        )

    def rows(self) -> Iterator[KeptRow]:
        """Each item as a flat row, in order, with its number's place within its case (the
        kept schedule's columns, :mod:`store.kept_schedule`); made from the columns, no
        entry objects."""
        book, plans = self._book, self._plans
        cases, numbers = book.cases, book.numbers
        last_slot, place = -1, 0
        for position in self._order:
            slot = numbers.case[position]
            place = place + 1 if slot == last_slot else 0
            last_slot = slot
            yield KeptRow(
                plans.agent[slot],
                plans.rule[slot],
                plans.due_by[slot],
                cases.days_past_due[slot],
                cases.amount_overdue_cents[slot],
                cases.case_id[slot],
                place,
                numbers.phone_number_id[position],
                cases.account_no[slot],
                numbers.kind[position],
                numbers.e164[position],
                self._reason(position, slot),
                bool(plans.reached_today[slot]),
                *self._reasons(position, slot),
            )

    def case_ids(self) -> set[int]:
        """The cases with a dialable number here."""
        case_of, case_id = self._book.numbers.case, self._book.cases.case_id
        return {case_id[case_of[position]] for position in self._order}

    def for_agent(self, agent: str) -> Worklist:
        case, owner = self._book.numbers.case, self._plans.agent
        mine = array("q", [p for p in self._order if owner[case[p]] == agent])
        return Worklist(self._book, mine, self._plans, self._said)


class BlockedList(_Lazy[BlockedItem]):
    """Numbers that may not be dialled now, each with the rule, the reason and when next."""

    def __init__(self, book: Book) -> None:
        self._book = book
        self._positions = array("q")
        self._rules: list[str] = []
        self._reasons: list[str] = []
        self._zh: list[str] = []
        self._next: list[datetime | None] = []
        self._reason_until: dict[int, datetime] = {}  # by index, only where before _next

    def add(
        self,
        position: int,
        rule: str,
        reason: str,
        next_allowed_at: datetime | None,
        *,
        reason_zh: str = "",
        reason_until: datetime | None = None,
    ) -> None:
        """``reason_until``: when the rule that blocks first lapses, so that the reason
        shown may change while the number stays blocked (another rule blocks it too)."""
        self._positions.append(position)
        self._rules.append(rule)
        self._reasons.append(reason)
        self._next.append(next_allowed_at)
        self._zh.append(reason_zh)
        if reason_until is not None and (next_allowed_at is None or reason_until < next_allowed_at):
            self._reason_until[len(self._positions) - 1] = reason_until

    def __len__(self) -> int:
        return len(self._positions)

    def next_changes(self) -> list[datetime]:
        """Every instant at which a blocked number may be allowed again."""
        return [at for at in self._next if at is not None]

    def changes(self) -> Iterator[tuple[int, datetime]]:
        """Each blocked number that may be allowed again, or blocked for another reason:
        its book position, and when."""
        until = self._reason_until
        for index, (position, at) in enumerate(zip(self._positions, self._next, strict=True)):
            when = until.get(index, at)
            if when is not None:
                yield position, when

    def counts_by_rule(self) -> list[tuple[str, int]]:
        """How many numbers each rule blocks, the most first (then by rule id)."""
        return sorted(Counter(self._rules).items(), key=lambda pair: (-pair[1], pair[0]))

    def with_rule(self, rule: str) -> BlockedList:
        """Only the numbers ``rule`` blocks, in the same order."""
        kept = BlockedList(self._book)
        for index, found in enumerate(self._rules):
            if found == rule:
                kept.add(
                    self._positions[index],
                    found,
                    self._reasons[index],
                    self._next[index],
                    reason_zh=self._zh[index],
                    reason_until=self._reason_until.get(index),
                )
        return kept

    def _make(self, index: int) -> BlockedItem:
        return BlockedItem(
            self._book.entry(self._positions[index]),
            self._rules[index],
            self._reasons[index],
            self._next[index],
            self._zh[index],
        )

    def rows_of(self, case_ids: set[int]) -> Iterator[BlockedRow]:
        """The blocked numbers of ``case_ids``, as the kept schedule stores them."""
        book = self._book
        case_of, case_id = book.numbers.case, book.cases.case_id
        number_id = book.numbers.phone_number_id
        for index, position in enumerate(self._positions):
            case = case_id[case_of[position]]
            if case in case_ids:
                yield BlockedRow(
                    case,
                    number_id[position],
                    self._rules[index],
                    self._zh[index],
                    self._next[index],
                    self._reasons[index],
                )
