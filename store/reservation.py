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

A number already in a call (reserved, ringing, or answered and not yet ended, by
any dialer) is refused where the policy allows it (``reservation.number_in_call``):
caps count such a call, but up to a cap a second dialer sharing the database would
otherwise ring the same phone at the same time. It is a fact of the moment, not a
policy rule, so it is checked here under the same lock, not in the profiles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from store.attempts import append_note
from store.db import SessionFactory
from store.debtor_facts import NO_ROWS, DebtorRows, load_debtor_rows
from store.dial_filters import counted_attempts, open_holds
from store.enums import AttemptStatus, Direction
from store.errors import DatabaseUnavailable, StoreError
from store.models import (
    CallAttempt,
    Case,
    CaseContact,
    ClientBank,
    DoNotCall,
    Hold,
    Person,
    PhoneNumber,
)

IN_FLIGHT = (AttemptStatus.RESERVED, AttemptStatus.ORIGINATED)
LIVE_AT_MOST = timedelta(hours=2)
"""A call not ended this long after its reservation was left by a dialer that died (the
campaign's ``stale_after`` closes it at the next start): it no longer keeps its number busy."""


@dataclass(frozen=True, slots=True)
class PastAttemptRow:
    at: datetime
    person_id: int
    case_id: int
    e164: str
    status: AttemptStatus


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
    debtor: DebtorRows = NO_ROWS
    """The case's debtor's number states and latest counted attempts, any case, all time
    (issue 19: the third-party gate; see :mod:`store.debtor_facts`)."""


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
            context = _load_context(session, phone_number_id, case_id, now - lookback)
            verdict = judge(context, now)
            if verdict.allowed:  # a lasting block (a cap, with its next time) says more
                verdict = _number_in_call(session, context.e164, now) or verdict
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
                session, attempt.phone_number_id, attempt.case_id, now - lookback, attempt_id
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


def _number_in_call(session: Session, e164: str, now: datetime) -> Refusal | None:
    """Refused while another attempt on ``e164`` is live. The caller holds the number's lock
    (PostgreSQL: every row with this number; SQLite: the write lock), so two dialers asking
    at once see each other's reservation."""
    live = session.scalar(
        select(CallAttempt.id)
        .where(
            CallAttempt.e164 == e164,
            CallAttempt.reserved_at > now - LIVE_AT_MOST,  # later stamps too: clocks differ
            or_(
                CallAttempt.status.in_(IN_FLIGHT),
                and_(CallAttempt.status == AttemptStatus.ANSWERED, CallAttempt.ended_at.is_(None)),
            ),
        )
        .limit(1)
    )
    if live is None:
        return None
    return Refusal(
        "reservation.number_in_call",
        f"the number is in another call (attempt {live}), perhaps from another dialer",
        f"该号码正在通话中（呼叫 {live}），可能由另一拨号节点发起",
        ruleset="reservation",
    )


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
    since: datetime,
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
        )
        .where(
            or_(CallAttempt.person_id == number.person_id, CallAttempt.e164 == number.e164),
            counted_attempts(since),
            CallAttempt.id != (leave_out or 0),
        )
        .order_by(CallAttempt.reserved_at)
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
        # issue 19 (third-party gate): read by store.debtor_facts, as the worklists read it
        debtor=load_debtor_rows(session, (case.id,), leave_out).get(case.id, NO_ROWS),
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
