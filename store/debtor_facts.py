"""What the third-party gate needs to know about each case's debtor, read from the database.

The 2026 banking-association guideline lets a family member, colleague or emergency contact
be called only once the debtor cannot be reached. That depends on the debtor's numbers'
states and the debtor's latest outbound attempts (any case, any number, all time: the
attempts that matter may be older than the caps' lookback), with the answered calls the
debtor made to us among them. Both roads to the policy (dial
time, ``store.reservation``; worklists, ``dialer.debtor_reach``) read them here, so they
see the same rows, and :func:`dialer.facts.debtor_reach` makes them facts for both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from store.dial_filters import counted_attempts, failed_on_our_side
from store.enums import AttemptStatus, Direction
from store.models import CallAttempt, Case, PhoneNumber

DEBTOR_ATTEMPTS = 10
"""How many of the debtor's latest attempts are read: the most a profile's gate may look at
(``compliance.policy.profile.GATE_ATTEMPTS_MAX``, checked equal by a test)."""


@dataclass(frozen=True, slots=True)
class DebtorRows:
    """One debtor's number states and latest outbound attempts (oldest first)."""

    number_states: tuple[str, ...] = ()
    recent: tuple[tuple[datetime, AttemptStatus], ...] = ()


NO_ROWS = DebtorRows()


def load_debtor_rows(
    session: Session, case_ids: Collection[int] | None = None, leave_out: int | None = None
) -> dict[int, DebtorRows]:
    """Each case's debtor facts, by case id; ``case_ids`` None: every case.

    ``leave_out``: an attempt not to count (the one being re-checked as it is answered).
    Attempts are counted as every dial decision counts them
    (:func:`store.dial_filters.counted_attempts`): outbound, never blocked ones; and a call
    the debtor made to us that was answered counts as answered: whoever rang us back can
    be reached, whatever our own calls came to. A call that failed on our side
    (:func:`store.dial_filters.failed_on_our_side`) is left out: the debtor never heard it.
    """
    cases = select(Case.id, Case.debtor_id)
    if case_ids is not None:
        cases = cases.where(Case.id.in_(case_ids))
    debtor_of = {case_id: debtor_id for case_id, debtor_id in session.execute(cases)}
    if not debtor_of:
        return {}
    debtors = select(Case.debtor_id)
    if case_ids is not None:
        debtors = debtors.where(Case.id.in_(case_ids))
    states: dict[int, set[str]] = defaultdict(set)
    for person_id, state in session.execute(
        select(PhoneNumber.person_id, PhoneNumber.state).where(PhoneNumber.person_id.in_(debtors))
    ):
        states[person_id].add(state.value)
    # The latest attempts per debtor: a window function (SQLite ≥ 3.25 and PostgreSQL alike).
    rank = (
        func.row_number()
        .over(
            partition_by=CallAttempt.person_id,
            order_by=(CallAttempt.reserved_at.desc(), CallAttempt.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        select(
            CallAttempt.person_id, CallAttempt.reserved_at, CallAttempt.id, CallAttempt.status, rank
        )
        .where(
            CallAttempt.person_id.in_(debtors),
            # all time: the attempts that matter may be old
            or_(counted_attempts(None), _debtor_called_in()),
            ~failed_on_our_side(),  # a trunk outage is not the debtor out of reach
            CallAttempt.id != (leave_out or 0),
        )
        .subquery()
    )
    recent: dict[int, list[tuple[datetime, AttemptStatus]]] = defaultdict(list)
    for person_id, at, _, status, _ in session.execute(
        # oldest first, ties on the instant by reservation: the later one is the later call
        select(ranked)
        .where(ranked.c.rank <= DEBTOR_ATTEMPTS)
        .order_by(ranked.c.reserved_at, ranked.c.id)
    ):
        recent[person_id].append((at, status))
    found: dict[int, DebtorRows] = {}
    for case_id, debtor_id in debtor_of.items():
        found[case_id] = DebtorRows(
            tuple(sorted(states.get(debtor_id, ()))),
            tuple(recent.get(debtor_id, ())),
        )
    return found


def _debtor_called_in() -> ColumnElement[bool]:
    return and_(
        CallAttempt.direction == Direction.INBOUND, CallAttempt.status == AttemptStatus.ANSWERED
    )
