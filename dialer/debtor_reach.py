"""The third-party gate's facts for a whole case book: each case's debtor reach.

Kept apart from ``dialer.worklist_source`` so the worklist road needs one call; the
dial-time road reads the same rows (``store.debtor_facts``) and converts them the same way
(``dialer.gate.debtor_reach``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from compliance.policy import DebtorReach, Profile
from dialer.book import Book
from dialer.gate import debtor_reach
from store.debtor_facts import NO_ROWS, DebtorRows, load_debtor_rows


def needs_debtor_reach(profile: Profile) -> bool:
    return any(rule.kind == "third_party_gate" for rule in profile.rules)


def attach_debtor_reach(session: Session, book: Book) -> None:
    """Fill ``book.cases.debtor``. Equal facts share one value, so the scheduler decides a
    third party's number once per kind of case, not once per case."""
    rows = load_debtor_rows(session)
    shared: dict[DebtorRows, DebtorReach] = {}
    reaches = []
    for case_id in book.cases.case_id:
        found = rows.get(case_id, NO_ROWS)
        reach = shared.get(found)
        if reach is None:
            reach = shared[found] = debtor_reach(found)
        reaches.append(reach)
    book.cases.debtor = reaches
