"""Reserving a call attempt atomically, just before it is dialled.

The caps are checked at dial time inside the same transaction that writes the
attempt, so no two dialers can both take the last call a person may receive:

- PostgreSQL: the person row and every phone-number row with the dialled
  number are locked (``FOR NO KEY UPDATE``), person first, then numbers by id;
- SQLite: every write transaction starts with ``BEGIN IMMEDIATE`` (``store.db``'s begin
  event), so the write lock is held from before the history is read: one writer at a time.

In-flight attempts (reserved, originated) are in the history the judge sees, so
they count as possibly connected. Blocked decisions are stored too, with their
reason: every attempt row says which rule set decided, on which counters, and why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from store.attempts import append_note
from store.db import SessionFactory
from store.debtor_facts import NO_ROWS, DebtorRows, load_debtor_rows
from store.dial_filters import (
    LONGEST_CALL,
    ConsentRow,
    calls_up,
    consents_in_force,
    counted_attempts,
    open_holds,
)
from store.enums import AttemptStatus, Direction
from store.errors import DatabaseUnavailable, StoreError
from store.models import (
    CallAttempt,
    Case,
    CaseConsent,
    CaseContact,
    ClientBank,
    DoNotCall,
    Hold,
    Person,
    PhoneNumber,
)

IN_FLIGHT = (AttemptStatus.RESERVED, AttemptStatus.ORIGINATED)


@dataclass(frozen=True, slots=True)
class PastAttemptRow:
    at: datetime
    person_id: int
    case_id: int
    e164: str
    status: AttemptStatus
    attempt_id: int


@dataclass(frozen=True, slots=True)
class DialContext:
    """Everything the database knows that a dial decision may need, as plain values."""

    phone_number_id: int
    e164: str
    number_state: str
    do_not_call: bool
    person_id: int
    is_debtor: bool
    """The person is the case's debtor."""
    relation: str | None
    """The person's relation as the case's contact; None if not listed as one."""
    case_id: int
    client_bank: str
    case_status: str
    hold_reason: str | None
    """The case's first open hold (see :func:`store.dial_filters.open_holds`)."""
    history: tuple[PastAttemptRow, ...]
    """The counted attempts (see :func:`store.dial_filters.counted_attempts`) for this person
    or this number, oldest first."""
    line_busy_until: datetime | None = None
    """Set while the person, or someone on this number, is in a call (see
    :func:`store.dial_filters.calls_up`): the latest call's start plus ``LONGEST_CALL``."""
    debtor: DebtorRows = NO_ROWS
    """The case's debtor's number states and latest counted attempts, any case, all time
    (issue 19: the third-party gate; see :mod:`store.debtor_facts`)."""
    consents: tuple[ConsentRow, ...] = ()
    """The case's consents in force or to come (issue 19; see
    :func:`store.dial_filters.consents_in_force`)."""


class Verdict(Protocol):
    """What the store needs from a policy decision to write the attempt row."""

    @property
    def allowed(self) -> bool: ...
    @property
    def rule_id(self) -> str | None: ...
    @property
    def reason_en(self) -> str: ...
    @property
    def reason_zh(self) -> str: ...
    @property
    def ruleset(self) -> str: ...
    @property
    def next_allowed_at(self) -> datetime | None: ...
    @property
    def counters(self) -> Mapping[str, int]: ...


Judge = Callable[[DialContext, datetime], Verdict]


class UnknownTarget(StoreError):
    """The number or case to reserve does not exist."""


@dataclass(frozen=True)
class Reservation:
    attempt_id: int
    verdict: Verdict


def reserve_attempt(
    sessions: SessionFactory,
    phone_number_id: int,
    case_id: int,
    now: datetime,
    judge: Judge,
    *,
    lookback: timedelta,
    agent_id: int | None = None,
    campaign_id: int | None = None,
) -> Reservation:
    """Decide and record one outbound attempt in one transaction; never dials."""
    try:
        with sessions.begin() as session:
            context = _load_context(session, phone_number_id, case_id, now, lookback)
            verdict = judge(context, now)
            attempt = CallAttempt(
                case_id=case_id,
                person_id=context.person_id,
                phone_number_id=phone_number_id,
                e164=context.e164,
                agent_id=agent_id,
                campaign_id=campaign_id,
                direction=Direction.OUTBOUND,
                status=AttemptStatus.RESERVED if verdict.allowed else AttemptStatus.BLOCKED,
                reserved_at=now,
                ruleset_version=verdict.ruleset,
                rule_id=verdict.rule_id,
                decision_reason=verdict.reason_en,
                counters_seen=_counters_json(verdict),
            )
            session.add(attempt)
            session.flush()
            return Reservation(attempt.id, verdict)
    except OperationalError as exc:
        raise DatabaseUnavailable(f"could not reserve an attempt: {exc.orig}") from exc


def _counters_json(verdict: Verdict) -> dict[str, object]:
    seen: dict[str, object] = dict(verdict.counters)
    seen["reason_zh"] = verdict.reason_zh
    seen["next_allowed_at"] = (
        verdict.next_allowed_at.isoformat() if verdict.next_allowed_at else None
    )
    return seen


@dataclass(frozen=True)
class Refusal:
    """A gate refusal that is not the policy's: the attempt is not one the gate may allow."""

    rule_id: str
    reason_en: str
    reason_zh: str
    allowed: bool = False
    ruleset: str = "gate"
    next_allowed_at: datetime | None = None
    counters: Mapping[str, int] = field(default_factory=dict)


def recheck_attempt(
    sessions: SessionFactory,
    attempt_id: int,
    now: datetime,
    judge: Judge,
    *,
    lookback: timedelta,
    agent_id: int,
) -> Verdict:
    """Ask the policy again at the moment the callee answers (the window may have closed, a
    hold may have been placed since the reservation); a blocked attempt is marked so.

    Only an outbound attempt reserved for ``agent_id`` and still in flight in the database
    is judged; any other is refused, with a note on its row and its status unchanged.
    """
    try:
        with sessions.begin() as session:
            attempt = session.scalars(
                select(CallAttempt).where(CallAttempt.id == attempt_id).with_for_update()
            ).first()  # locked: a second gate session for it waits for this decision
            refusal = _refusal(attempt, attempt_id, agent_id)
            if refusal is not None or attempt is None:
                if attempt is not None and refusal is not None:
                    append_note(session, attempt_id, refusal.reason_en, now)
                return refusal or _UNKNOWN
            assert attempt.phone_number_id is not None  # checked by _refusal
            context = _load_context(
                session,
                attempt.phone_number_id,
                attempt.case_id,
                now,
                lookback,
                leave_out=attempt_id,
            )
            verdict = judge(context, now)
            if not verdict.allowed:
                attempt.status = AttemptStatus.BLOCKED
                attempt.rule_id = verdict.rule_id
                attempt.decision_reason = f"blocked on answer: {verdict.reason_en}"
                attempt.ended_at = now
            return verdict
    except OperationalError as exc:
        raise DatabaseUnavailable(f"could not re-check attempt {attempt_id}: {exc.orig}") from exc


_UNKNOWN = Refusal("gate.unknown_attempt", "no such attempt", "无此呼叫记录")


def _refusal(attempt: CallAttempt | None, attempt_id: int, agent_id: int) -> Refusal | None:
    if attempt is None:
        return _UNKNOWN
    if (
        attempt.direction != Direction.OUTBOUND
        or attempt.phone_number_id is None
        or attempt.agent_id != agent_id
    ):
        return Refusal(
            "gate.not_ours",
            f"attempt {attempt_id} was not dialled by this dialer for agent {agent_id}",
            "该呼叫不是本拨号器为此坐席发起的",
        )
    if attempt.status not in IN_FLIGHT:
        return Refusal(
            "gate.not_in_flight",
            f"attempt {attempt_id} is not in flight ({attempt.status.value})",
            f"该呼叫已不在进行中（{attempt.status.value}）",
        )
    return None


def _load_context(
    session: Session,
    phone_number_id: int,
    case_id: int,
    now: datetime,
    lookback: timedelta,
    *,
    leave_out: int | None = None,
) -> DialContext:
    number = session.get(PhoneNumber, phone_number_id)
    case = session.get(Case, case_id)
    if number is None or case is None:
        raise UnknownTarget(f"no phone number {phone_number_id} or no case {case_id}")
    if _lock(session, number):
        session.refresh(number)  # what was read before the lock may have changed
    bank = session.get(ClientBank, case.client_bank_id)
    hold = session.execute(open_holds().where(Hold.case_id == case_id).limit(1)).first()
    dnc = session.scalar(select(DoNotCall.id).where(DoNotCall.e164 == number.e164)) is not None
    rows = session.execute(
        select(
            CallAttempt.reserved_at,
            CallAttempt.person_id,
            CallAttempt.case_id,
            CallAttempt.e164,
            CallAttempt.status,
            CallAttempt.id,
        )
        .where(
            or_(CallAttempt.person_id == number.person_id, CallAttempt.e164 == number.e164),
            counted_attempts(now - lookback),
            CallAttempt.id != (leave_out or 0),
        )
        .order_by(CallAttempt.reserved_at, CallAttempt.id)
    )
    last_up = session.scalar(
        select(func.max(CallAttempt.reserved_at)).where(
            or_(CallAttempt.person_id == number.person_id, CallAttempt.e164 == number.e164),
            calls_up(now),
            CallAttempt.id != (leave_out or 0),
        )
    )
    return DialContext(
        phone_number_id=number.id,
        e164=number.e164,
        number_state=number.state.value,
        do_not_call=dnc,
        person_id=number.person_id,
        is_debtor=case.debtor_id == number.person_id,
        relation=_contact_relation(session, case.id, number.person_id),
        case_id=case.id,
        client_bank=bank.code if bank else "",
        case_status=case.status.value,
        hold_reason=hold.reason.value if hold else None,
        history=tuple(PastAttemptRow(*row) for row in rows),
        line_busy_until=None if last_up is None else last_up + LONGEST_CALL,
        # issue 19 (third-party gate): read by store.debtor_facts, as the worklists read it
        debtor=load_debtor_rows(session, (case.id,), leave_out).get(case.id, NO_ROWS),
        # issue 19 (consent): the filter the worklists read them through
        consents=tuple(
            (case, consent, scope, since, until)
            for case, consent, scope, since, until in session.execute(
                consents_in_force(now).where(CaseConsent.case_id == case_id)
            )
        ),
    )


def _lock(session: Session, number: PhoneNumber) -> bool:
    """Serialise reservations per person and per number (PostgreSQL; SQLite holds the DB lock)."""
    if session.connection().dialect.name != "postgresql":
        return False
    session.execute(
        select(Person.id).where(Person.id == number.person_id).with_for_update(key_share=True)
    )
    session.execute(
        select(PhoneNumber.id)
        .where(PhoneNumber.e164 == number.e164)
        .order_by(PhoneNumber.id)
        .with_for_update(key_share=True)
    )
    return True


def _contact_relation(session: Session, case_id: int, person_id: int) -> str | None:
    relation = session.scalar(
        select(CaseContact.relation).where(
            CaseContact.case_id == case_id, CaseContact.person_id == person_id
        )
    )
    return relation.value if relation else None
