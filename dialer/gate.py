"""The policy gate: turns what the database knows into policy facts and asks the engine."""

from __future__ import annotations

from datetime import datetime, timedelta

from compliance.policy import (
    AttemptHistory,
    CaseFacts,
    ContactType,
    DebtorReach,
    Decision,
    Evaluator,
    NumberFacts,
    Outcome,
    PastAttempt,
    PersonFacts,
    Profile,
)
from compliance.policy.zones import zones_for_number
from store.debtor_facts import DEBTOR_ATTEMPTS, DebtorRows
from store.enums import AttemptStatus
from store.reservation import DialContext

OUTCOME_OF_STATUS = {
    AttemptStatus.RESERVED: Outcome.IN_FLIGHT,
    AttemptStatus.ORIGINATED: Outcome.IN_FLIGHT,
    AttemptStatus.ANSWERED: Outcome.CONNECTED,
    AttemptStatus.NO_ANSWER: Outcome.UNANSWERED,
    AttemptStatus.BUSY: Outcome.UNANSWERED,
    AttemptStatus.FAILED: Outcome.UNANSWERED,
}


_CONTACT_TYPES = {kind.value: kind for kind in ContactType}
_UNKNOWN = ContactType.UNKNOWN


def contact_type(relation: str) -> ContactType:
    """Anything the policy does not know becomes ``unknown``, which is never dialled."""
    return _CONTACT_TYPES.get(relation, _UNKNOWN)


def facts_of(context: DialContext) -> tuple[NumberFacts, PersonFacts, CaseFacts, AttemptHistory]:
    number = NumberFacts(
        e164=context.e164,
        do_not_call=context.do_not_call,
        state=context.number_state,
        time_zones=zones_for_number(context.e164),
    )
    person = PersonFacts(context.person_id, contact_type(context.relation))
    case = CaseFacts(
        case_id=context.case_id,
        client_bank=context.client_bank,
        status=context.case_status,
        hold_reason=context.hold_reason,
        debtor=debtor_reach(context.debtor),  # issue 19: the third-party gate's facts
    )
    history = AttemptHistory(
        tuple(
            PastAttempt(row.at, row.person_id, row.case_id, row.e164, OUTCOME_OF_STATUS[row.status])
            for row in context.history
            if row.status in OUTCOME_OF_STATUS
        )
    )
    return number, person, case, history


def debtor_reach(rows: DebtorRows) -> DebtorReach:
    """The debtor's facts as the third-party gate reads them, on both roads."""
    return DebtorReach.of(
        rows.number_states,
        ((at, OUTCOME_OF_STATUS[s]) for at, s in rows.recent if s in OUTCOME_OF_STATUS),
        keep=DEBTOR_ATTEMPTS,
    )


class PolicyJudge:
    """A ``store.reservation.Judge`` backed by one profile."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.evaluator = Evaluator(profile)
        self.lookback: timedelta = profile.lookback()

    def __call__(self, context: DialContext, now: datetime) -> Decision:
        number, person, case, history = facts_of(context)
        return self.evaluator.decide(number, person, case, history, now)
