"""The third-party gate's facts for a whole case book: each case's debtor reach (reads the
database).

Kept apart from ``dialer.worklist_source`` so the worklist road needs one call. Both roads
read the same rows (:func:`store.debtor_facts.load_debtor_rows`; dial time in
``store.reservation``) and make them facts by the one translation,
:func:`dialer.facts.debtor_reaches`.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from compliance.policy import Profile
from dialer.book import Book
from dialer.facts import debtor_reaches
from store.debtor_facts import load_debtor_rows


def needs_debtor_reach(profile: Profile) -> bool:
    return any(rule.kind == "third_party_gate" for rule in profile.rules)


def attach_debtor_reach(
    session: Session, book: Book, case_ids: Collection[int] | None = None
) -> None:
    """Fill ``book.cases.debtor`` (``case_ids``: the book holds only those cases)."""
    rows = load_debtor_rows(session, case_ids)
    book.cases.debtor = debtor_reaches(book.cases.case_id, rows)
