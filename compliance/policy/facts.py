"""What the policy is told about one dial: plain values, no database, no clock."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

NumberStateName = Literal["unverified", "verified", "unreachable", "wrong_person"]
"""The states a number may be in (the store's ``NumberState``; a test keeps them equal)."""
CaseStatusName = Literal["active", "promised", "paid", "closed", "stolen", "jailed", "deceased"]
"""The statuses a case may have (the store's ``CaseStatus``; a test keeps them equal)."""


class ContactType(StrEnum):
    """Who the called person is to the case; ``unknown`` is never dialled."""

    DEBTOR = "debtor"
    FAMILY = "family"
    COLLEAGUE = "colleague"
    EMERGENCY = "emergency"
    OTHER = "other"
    UNKNOWN = "unknown"


class Outcome(StrEnum):
    """What an earlier outbound attempt came to, as far as the caps care."""

    CONNECTED = "connected"
    UNANSWERED = "unanswered"
    IN_FLIGHT = "in_flight"
    """Reserved or ringing: it may still connect, so every cap counts it."""


@dataclass(frozen=True, slots=True)
class NumberFacts:
    e164: str
    do_not_call: bool = False
    state: str = "unverified"
    time_zones: tuple[str, ...] = ()
    """IANA zones the number may be in (from its prefix); needed by callee-clock profiles."""


@dataclass(frozen=True, slots=True)
class PersonFacts:
    person_id: int
    contact_type: ContactType


@dataclass(frozen=True, slots=True)
class DebtorReach:
    """What the third-party gate reads about the case's debtor.

    Empty (the default) means nothing is known: the debtor counts as reachable, so a
    caller that does not load these facts never lets a third party be called.
    """

    number_states: tuple[str, ...] = ()
    """The states of the debtor's numbers (each state once, sorted)."""
    recent: tuple[tuple[datetime, Outcome], ...] = ()
    """The debtor's latest outbound attempts (any case, any number), oldest first."""

    @staticmethod
    def of(
        states: Iterable[str], attempts: Iterable[tuple[datetime, Outcome]], keep: int
    ) -> DebtorReach:
        """From the debtor's number states and outbound attempts (in any order, but those at
        the same instant in the order reserved: the sort keeps it): each state once, and the
        latest ``keep`` attempts. Equal facts give equal values, so the
        engine's memo (keyed by them) is shared by every case alike."""
        latest = sorted(attempts, key=lambda pair: pair[0])[-keep:] if keep > 0 else []
        return DebtorReach(tuple(sorted(set(states))), tuple(latest))


NO_REACH = DebtorReach()


class ConsentScope(StrEnum):
    """What a debtor agreed to: calls outside the window, or more calls than a cap allows."""

    WINDOW = "window"
    FREQUENCY = "frequency"


@dataclass(frozen=True, slots=True, order=True)
class Consent:
    """A debtor's approved, not withdrawn agreement on one case (issue 19).

    It relaxes only the rules a profile marks ``consent = "<scope>"``, only for calls to the
    case's debtor, and only from ``valid_from`` until (not including) ``valid_until``.
    Requests not yet approved and withdrawn consents never reach the policy."""

    consent_id: int
    scope: ConsentScope
    valid_from: datetime
    valid_until: datetime

    def active_at(self, at: datetime) -> bool:
        return self.valid_from <= at < self.valid_until


STATUS_ZH = {
    "active": "在催",
    "promised": "已承诺还款",
    "paid": "已结清",
    "closed": "已结案",
    "stolen": "卡片被盗用",
    "jailed": "债务人服刑",
    "deceased": "债务人身故",
}
"""A case's status (``CaseFacts.status``) as the Chinese reasons name it (an unknown one as is)."""
HOLD_REASON_ZH = {
    "complaint_tendency": "投诉倾向",
    "stolen": "卡片被盗用",
    "jailed": "债务人服刑",
    "deceased": "债务人身故",
    "manual": "人工停催",
    "complaint": "投诉处理中",
}
"""Why collection stopped (``CaseFacts.hold_reason``), as the Chinese reasons name it."""


@dataclass(frozen=True, slots=True)
class CaseFacts:
    case_id: int
    client_bank: str = ""
    status: str = "active"
    hold_reason: str | None = None
    """Set while collection is stopped (停催) and not yet cleared."""
    debtor: DebtorReach = NO_REACH
    """The debtor's number states and latest attempts (read by ``third_party_gate``)."""
    consents: tuple[Consent, ...] = ()
    """The debtor's approved consents on this case, by id (read by rules marked ``consent``)."""


@dataclass(frozen=True, slots=True)
class PastAttempt:
    """One earlier outbound attempt (inbound calls and blocked attempts never count)."""

    at: datetime
    person_id: int
    case_id: int
    e164: str
    outcome: Outcome
    attempt_id: int = 0
    """Orders attempts reserved at the same instant (the later reservation is the later
    attempt), so that which one is "the last" never depends on the order rows were read in."""


def _in_order(attempt: PastAttempt) -> tuple[datetime, int]:
    return attempt.at, attempt.attempt_id


@dataclass(frozen=True, slots=True)
class AttemptHistory:
    """The outbound attempts the caps look at, oldest first."""

    attempts: tuple[PastAttempt, ...] = field(default=())
    line_busy_until: datetime | None = None
    """Set while the person, or someone on this number, is in a call: an outbound attempt
    in flight or answered and not ended, or a call they made that is still up. Inbound
    calls never count toward a cap, but a person on the line with one agent is not rung by
    another. The call's end is normally what lifts it; this instant is the latest it
    lasts (a hangup that was never recorded must not keep the person off for ever)."""

    @staticmethod
    def of(
        attempts: Iterable[PastAttempt], *, line_busy_until: datetime | None = None
    ) -> AttemptHistory:
        return AttemptHistory(tuple(sorted(attempts, key=_in_order)), line_busy_until)

    def __bool__(self) -> bool:
        """Whether there is anything for the history rules to read."""
        return bool(self.attempts) or self.line_busy_until is not None
