"""The one translation from stored rows to the policy's facts (pure).

Two roads reach a dial decision: the reservation at dial time (one number, read under row
locks by :func:`store.reservation.reserve_attempt`) and the worklists (the whole book, read
in bulk by :mod:`dialer.worklist_source`). Loading differs, so both loaders read rows
through store's shared filters (:func:`store.dial_filters.counted_attempts` for the
history, :func:`store.dial_filters.open_holds` for holds) and the debtor's reach through
:func:`store.debtor_facts.load_debtor_rows`, and hand the rows here. What an attempt
counts as, who a person is to the case and which facts the policy is told are decided in
this module only; ``tests/test_facts_parity.py`` checks that the two roads decide alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from itertools import compress, count
from typing import NamedTuple

from compliance.policy import (
    AttemptHistory,
    CaseFacts,
    Consent,
    ConsentScope,
    ContactType,
    DebtorReach,
    NumberFacts,
    Outcome,
    PastAttempt,
    PersonFacts,
)
from compliance.policy.zones import zones_for_number
from store.debtor_facts import DEBTOR_ATTEMPTS, NO_ROWS, DebtorRows
from store.dial_filters import ConsentRow
from store.enums import AttemptStatus
from store.reservation import DialContext

OUTCOME_OF_STATUS: dict[str, Outcome] = {
    AttemptStatus.RESERVED: Outcome.IN_FLIGHT,
    AttemptStatus.ORIGINATED: Outcome.IN_FLIGHT,
    AttemptStatus.ANSWERED: Outcome.CONNECTED,
    AttemptStatus.NO_ANSWER: Outcome.UNANSWERED,
    AttemptStatus.BUSY: Outcome.UNANSWERED,
    AttemptStatus.FAILED: Outcome.UNANSWERED,
}
"""What each counted status is to the caps (blocked attempts are never counted)."""


def outcome_of(status: str) -> Outcome:
    """A status missing from :data:`OUTCOME_OF_STATUS` (the schema allows none) counts as
    possibly connected: every cap counts it, so an unknown status can only block more."""
    return OUTCOME_OF_STATUS.get(status, Outcome.IN_FLIGHT)


def past_attempt(
    at: datetime, person_id: int, case_id: int, e164: str, status: str, *, attempt_id: int
) -> PastAttempt:
    """One counted attempt row as the policy sees it."""
    return PastAttempt(at, person_id, case_id, e164, outcome_of(status), attempt_id)


_CONTACT_TYPES = {kind.value: kind for kind in ContactType}


def contact_type(relation: str | None, *, is_debtor: bool) -> ContactType:
    """Who a person is to the case: the debtor is the debtor even if also listed as a
    contact; a contact is their relation; anyone else, or a relation the policy does not
    know, is ``unknown``, which is never dialled."""
    if is_debtor:
        return ContactType.DEBTOR
    if relation is None:
        return ContactType.UNKNOWN
    return _CONTACT_TYPES.get(relation, ContactType.UNKNOWN)


def time_zones(e164: str, *, needed: bool) -> tuple[str, ...]:
    """The zones the number may be in; only a callee-clock profile reads them, so the
    others are told none (the lookup is the costliest fact at a million numbers)."""
    return zones_for_number(e164) if needed else ()


def debtor_reach(rows: DebtorRows) -> DebtorReach:
    """The case's debtor's number states and latest attempts as the third-party gate reads
    them (issue 19); each attempt counts as it does for the caps (:func:`outcome_of`)."""
    return DebtorReach.of(
        rows.number_states,
        ((at, outcome_of(status)) for at, status in rows.recent),
        keep=DEBTOR_ATTEMPTS,
    )


def debtor_reaches(case_ids: Iterable[int], rows: Mapping[int, DebtorRows]) -> list[DebtorReach]:
    """Each case's :func:`debtor_reach`; a case without rows has a debtor with no number and
    no attempt. Equal rows share one value, so the scheduler decides a third party's number
    once per kind of case, not once per case."""
    shared: dict[DebtorRows, DebtorReach] = {}
    reaches = []
    for case_id in case_ids:
        found = rows.get(case_id, NO_ROWS)
        reach = shared.get(found)
        if reach is None:
            reach = shared[found] = debtor_reach(found)
        reaches.append(reach)
    return reaches


def case_consents(rows: Iterable[ConsentRow]) -> dict[int, tuple[Consent, ...]]:
    """Each case's consents as the policy reads them (issue 19), by id; rows as
    :func:`store.dial_filters.consents_in_force` reads them."""
    found: dict[int, list[Consent]] = defaultdict(list)
    for case_id, consent_id, scope, valid_from, valid_until in rows:
        found[case_id].append(Consent(consent_id, ConsentScope(scope), valid_from, valid_until))
    return {case_id: tuple(sorted(consents)) for case_id, consents in found.items()}


EMPTY_HISTORY = AttemptHistory()


class Histories:
    """Counted attempts by person and by number. A number's history is its person's
    attempts plus other people's attempts on the same number, oldest first; it is
    ``on_the_line`` when its person, or anyone on the number, is in a call now."""

    def __init__(
        self,
        attempts: Iterable[PastAttempt],
        calls_up: Iterable[tuple[int, str, datetime]] = (),
    ) -> None:
        """``calls_up``: (person id, number, until when it may last) of every call up now
        (:func:`store.dial_filters.calls_up`)."""
        by_person: dict[int, list[PastAttempt]] = defaultdict(list)
        by_number: dict[str, list[PastAttempt]] = defaultdict(list)
        for attempt in attempts:
            by_person[attempt.person_id].append(attempt)
            by_number[attempt.e164].append(attempt)
        self.by_person, self.by_number = dict(by_person), dict(by_number)
        self._up_persons: dict[int, datetime] = {}
        self._up_numbers: dict[str, datetime] = {}
        for person, e164, until in calls_up:
            self._up_persons[person] = max(until, self._up_persons.get(person, until))
            self._up_numbers[e164] = max(until, self._up_numbers.get(e164, until))
        self._own: dict[int, AttemptHistory] = {}
        # sets: a miss, the usual answer, is cheaper in a set than in a dict
        self._persons, self._dialled = frozenset(by_person), frozenset(by_number)

    def of(self, person_ids: Sequence[int], e164s: Sequence[str]) -> list[AttemptHistory]:
        """Each (person, number)'s history. Most numbers have none, so only those found are
        built; the attempts given must already be oldest first."""
        histories = [EMPTY_HISTORY] * len(person_ids)
        by_person, by_number, own = self.by_person, self.by_number, self._own
        found = set(compress(count(), [person in self._persons for person in person_ids]))
        found.update(compress(count(), [e164 in self._dialled for e164 in e164s]))
        up: set[int] = set()
        if self._up_persons:
            up.update(compress(count(), [person in self._up_persons for person in person_ids]))
            up.update(compress(count(), [e164 in self._up_numbers for e164 in e164s]))
        for index in found:
            person_id, e164 = person_ids[index], e164s[index]
            others = [a for a in by_number.get(e164, ()) if a.person_id != person_id]
            if others:
                histories[index] = AttemptHistory.of([*by_person.get(person_id, ()), *others])
            else:  # a person's numbers share their history, already oldest first
                history = own.get(person_id)
                if history is None:
                    history = own[person_id] = AttemptHistory(tuple(by_person[person_id]))
                histories[index] = history
        for index in up:
            ends = (
                self._up_persons.get(person_ids[index]),
                self._up_numbers.get(e164s[index]),
            )
            until = max(end for end in ends if end is not None)
            histories[index] = AttemptHistory(histories[index].attempts, until)
        return histories


class DialFacts(NamedTuple):
    number: NumberFacts
    person: PersonFacts
    case: CaseFacts
    history: AttemptHistory


def dial_facts(context: DialContext, *, with_zones: bool) -> DialFacts:
    """The facts for one reservation, made by the same rules the worklist loader applies
    column by column."""
    attempts = (
        past_attempt(
            row.at, row.person_id, row.case_id, row.e164, row.status, attempt_id=row.attempt_id
        )
        for row in context.history
    )
    until = context.line_busy_until
    up = [] if until is None else [(context.person_id, context.e164, until)]
    history = Histories(attempts, up).of((context.person_id,), (context.e164,))[0]
    return DialFacts(
        NumberFacts(
            context.e164,
            context.do_not_call,
            context.number_state,
            time_zones(context.e164, needed=with_zones),
        ),
        PersonFacts(context.person_id, contact_type(context.relation, is_debtor=context.is_debtor)),
        CaseFacts(
            context.case_id,
            context.client_bank,
            context.case_status,
            context.hold_reason,
            debtor_reach(context.debtor),
            case_consents(context.consents).get(context.case_id, ()),
        ),
        history,
    )
