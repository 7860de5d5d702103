"""What the agent's case-centric worklist shows of each case beside its kept schedule rows:
the case's facts, its numbers with who each one is, its last contact, its latest promise and
its payments, its open holds (issue 22, item 1). Reads only, a few queries per page of cases
(never one per case), and decides nothing: dialability comes from the kept schedule.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import TypeVar

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from compliance.promises import PaymentMade, Promise, PromiseJudgement, promise_status
from store.enums import AccountClass, AttemptStatus, HoldReason, NumberKind, Relation
from store.models import (
    CallAttempt,
    Case,
    CaseContact,
    ClientBank,
    CollectionNote,
    Hold,
    Payment,
    Person,
    PhoneNumber,
)


@dataclass(frozen=True, slots=True)
class CaseNumber:
    """A number of the case and who it belongs to in this case."""

    phone_number_id: int
    e164: str
    kind: NumberKind
    relation: Relation
    word: str | None = None
    """The case file's own word for who it is (母亲), when it said more than ``relation``."""


@dataclass(frozen=True, slots=True)
class LastContact:
    at: datetime
    status: AttemptStatus
    outcome: str | None
    """The note's outcome (``store.notes.NoteOutcome`` value); None: no note yet."""


@dataclass(frozen=True, slots=True)
class LatestPromise:
    amount_cents: int
    day: date
    judgement: PromiseJudgement


@dataclass(frozen=True, slots=True)
class OpenHold:
    reason: HoldReason
    detail: str
    placed_at: datetime


@dataclass(slots=True)
class CaseFile:
    """One case as the worklist row shows it."""

    case_id: int
    account_no: str
    debtor_name: str
    bank: str
    amount_overdue_cents: int
    days_past_due: int
    account_class: AccountClass | None
    numbers: list[CaseNumber] = field(default_factory=list)
    last_contact: LastContact | None = None
    promise: LatestPromise | None = None
    paid_since_import_cents: int = 0
    last_paid_on: date | None = None
    holds: list[OpenHold] = field(default_factory=list)


def case_files(
    session: Session, case_ids: Collection[int], now: datetime, zone: tzinfo
) -> dict[int, CaseFile]:
    """The files of ``case_ids`` (those that exist), by case id."""
    files: dict[int, CaseFile] = {}
    debtors: dict[int, int] = {}
    imported: dict[int, date] = {}
    for chunk in _chunks(sorted(case_ids)):
        # Columns, not entities, here and below: a page of cases reads some 500 rows, and an
        # ORM object for each cost more than the queries (issue 17, the page under load).
        rows = session.execute(
            select(
                Case.id,
                Case.account_no,
                Person.name,
                ClientBank.name,
                Case.amount_overdue_cents,
                Case.days_past_due,
                Case.account_class,
                Case.debtor_id,
                Case.imported_at,
            )
            .join(Person, Person.id == Case.debtor_id)
            .join(ClientBank, ClientBank.id == Case.client_bank_id)
            .where(Case.id.in_(chunk))
        )
        for case_id, account_no, name, bank, cents, days, klass, debtor_id, imported_at in rows:
            files[case_id] = CaseFile(case_id, account_no, name, bank, cents, days, klass)
            debtors[case_id] = debtor_id
            imported[case_id] = imported_at.astimezone(zone).date()
    _add_numbers(session, files, debtors)
    _add_last_contacts(session, files)
    _add_money(session, files, imported, now, zone)
    _add_holds(session, files)
    return files


def _add_numbers(session: Session, files: dict[int, CaseFile], debtors: dict[int, int]) -> None:
    by_debtor: dict[int, list[int]] = {}
    for case_id, person_id in debtors.items():
        by_debtor.setdefault(person_id, []).append(case_id)
    for chunk in _chunks(sorted(by_debtor)):
        for person_id, number_id, e164, kind in session.execute(
            select(PhoneNumber.person_id, PhoneNumber.id, PhoneNumber.e164, PhoneNumber.kind)
            .where(PhoneNumber.person_id.in_(chunk))
            .order_by(PhoneNumber.id)
        ):
            for case_id in by_debtor[person_id]:
                files[case_id].numbers.append(CaseNumber(number_id, e164, kind, Relation.DEBTOR))
    for chunk in _chunks(sorted(files)):
        rows = session.execute(
            select(
                CaseContact.case_id,
                PhoneNumber.id,
                PhoneNumber.e164,
                PhoneNumber.kind,
                CaseContact.relation,
                CaseContact.relation_word,
            )
            .join(PhoneNumber, PhoneNumber.person_id == CaseContact.person_id)
            .where(CaseContact.case_id.in_(chunk))
            .order_by(PhoneNumber.id)
        )
        for case_id, number_id, e164, kind, relation, word in rows:
            files[case_id].numbers.append(CaseNumber(number_id, e164, kind, relation, word))


def _add_last_contacts(session: Session, files: dict[int, CaseFile]) -> None:
    for chunk in _chunks(sorted(files)):
        rows = session.execute(
            select(
                CallAttempt.case_id,
                CallAttempt.reserved_at,
                CallAttempt.status,
                CollectionNote.outcome,
            )
            .outerjoin(CollectionNote, CollectionNote.call_attempt_id == CallAttempt.id)
            .where(CallAttempt.case_id.in_(chunk), CallAttempt.status != AttemptStatus.BLOCKED)
            .order_by(CallAttempt.reserved_at.desc(), CallAttempt.id.desc())
        )
        for case_id, at, status, outcome in rows:
            if files[case_id].last_contact is None:
                files[case_id].last_contact = LastContact(at, status, outcome)


def _add_money(
    session: Session,
    files: dict[int, CaseFile],
    imported: dict[int, date],
    now: datetime,
    zone: tzinfo,
) -> None:
    made: dict[int, list[PaymentMade]] = {case_id: [] for case_id in files}
    for chunk in _chunks(sorted(files)):
        for case_id, cents, paid_on in session.execute(
            select(Payment.case_id, Payment.amount_cents, Payment.paid_on).where(
                Payment.case_id.in_(chunk)
            )
        ):
            made[case_id].append(PaymentMade(cents, paid_on))
        notes = session.execute(
            select(
                CollectionNote.case_id,
                CollectionNote.promised_amount_cents,
                CollectionNote.promised_date,
                CollectionNote.created_at,
            )
            .where(
                CollectionNote.case_id.in_(chunk),
                CollectionNote.promised_amount_cents.is_not(None),
                CollectionNote.promised_date.is_not(None),
            )
            .order_by(CollectionNote.created_at.desc(), CollectionNote.id.desc())
        )
        for case_id, promised, day, created_at in notes:
            file = files[case_id]
            if file.promise is None and promised and day:
                promise = Promise(promised, day, created_at)
                judgement = promise_status(promise, made[case_id], now, zone)
                file.promise = LatestPromise(promise.amount_cents, promise.due, judgement)
    for case_id, payments in made.items():
        since = imported[case_id]
        files[case_id].paid_since_import_cents = sum(
            p.amount_cents for p in payments if p.paid_on >= since
        )
        files[case_id].last_paid_on = max((p.paid_on for p in payments), default=None)


def _add_holds(session: Session, files: dict[int, CaseFile]) -> None:
    for chunk in _chunks(sorted(files)):
        holds = session.execute(
            select(Hold.case_id, Hold.reason, Hold.detail, Hold.placed_at)
            .where(Hold.case_id.in_(chunk), Hold.cleared_at.is_(None))
            .order_by(Hold.placed_at, Hold.id)
        )
        for case_id, reason, detail, placed_at in holds:
            files[case_id].holds.append(OpenHold(reason, detail, placed_at))


def held_cases(session: Session, agent_id: int, limit: int) -> tuple[list[int], int]:
    """The agent's cases (assigned to them, or called by them) under an open hold, by case
    id: at most ``limit`` of them, and how many in all."""
    mine = or_(
        Case.assigned_agent_id == agent_id,
        exists().where(CallAttempt.case_id == Case.id, CallAttempt.agent_id == agent_id),
    )
    held = exists().where(Hold.case_id == Case.id, Hold.cleared_at.is_(None))
    ids = list(session.scalars(select(Case.id).where(mine, held).order_by(Case.id)))
    return ids[:limit], len(ids)


def never_called(session: Session, case_ids: Collection[int]) -> set[int]:
    """Those of ``case_ids`` that no call (out or in, any status) has ever touched."""
    called: set[int] = set()
    for chunk in _chunks(sorted(case_ids)):
        called.update(
            session.scalars(select(CallAttempt.case_id).where(CallAttempt.case_id.in_(chunk)))
        )
    return set(case_ids) - called


T = TypeVar("T")


def _chunks(values: list[T], size: int = 500) -> Iterable[list[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
