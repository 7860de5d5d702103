"""Which rows a load of the case book reads: every case, or only some (query builders only;
no session, no I/O).

The kept schedule's owner recomputes only the cases a change touched
(:mod:`dialer.keeper`); those cases' facts must then be read exactly as a whole-book load
reads them. A number's history is its person's attempts plus anyone's on the same number,
and a third party's gate reads the case's debtor, so a partial load still reads every
attempt of the people in its cases and on their numbers, whichever case they were made in.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select, true, union

from store.models import CallAttempt, Case, CaseContact, PhoneNumber


@dataclass(frozen=True, slots=True)
class BookScope:
    """``case_ids`` None: the whole book."""

    case_ids: Collection[int] | None = None

    @property
    def whole(self) -> bool:
        return self.case_ids is None

    def cases(self, column: Any) -> ColumnElement[bool]:
        """``column`` (a case id) is one of the scope's cases."""
        return true() if self.case_ids is None else column.in_(sorted(self.case_ids))

    def persons(self) -> Select[Any]:
        """The people of the scope's cases: their debtors and their contacts."""
        return select(
            union(
                select(Case.debtor_id).where(self.cases(Case.id)),
                select(CaseContact.person_id).where(self.cases(CaseContact.case_id)),
            ).subquery()
        )

    def numbers(self) -> Select[Any]:
        """The numbers (e164) of the scope's people."""
        return select(PhoneNumber.e164).where(PhoneNumber.person_id.in_(self.persons()))

    def attempts(self) -> ColumnElement[bool]:
        """The attempts a history in scope may hold: by its people, or on their numbers."""
        if self.case_ids is None:
            return true()
        return or_(CallAttempt.person_id.in_(self.persons()), CallAttempt.e164.in_(self.numbers()))

    def e164s(self, column: Any) -> ColumnElement[bool]:
        """``column`` (an e164) is a number of the scope's people."""
        return true() if self.case_ids is None else column.in_(self.numbers())


WHOLE_BOOK = BookScope()
