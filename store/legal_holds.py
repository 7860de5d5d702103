"""Legal holds (保全): a case's records are kept past their retention period while a hold
stands. An admin places a hold for a dispute or another reason and releases it with a note;
an open complaint holds its case without a row here, until it is resolved. Every change is
audit-logged in the caller's transaction.

Placing a hold locks the case's row (on PostgreSQL), as the retention run does for the
cases it is about to delete from, so a hold placed during a run is either seen by it or
placed after its deletions committed. On SQLite every writer already holds the database's
write lock.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.complaints import ComplaintStatus
from store.audit import record_audit
from store.enums import LegalHoldReason
from store.errors import LegalHoldError
from store.models import Case, ClientBank, Complaint, LegalHold
from store.said import N_


def lock_cases(session: Session, case_ids: Collection[int]) -> None:
    """Serialise with holds placed on these cases until the transaction ends."""
    if case_ids and session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(Case.id).where(Case.id.in_(case_ids)).order_by(Case.id).with_for_update()
        )


def _case(session: Session, account_no: str, bank: str | None) -> Case:
    query = select(Case).where(Case.account_no == account_no.strip())
    if bank is not None:
        query = query.join(ClientBank, ClientBank.id == Case.client_bank_id).where(
            ClientBank.code == bank.strip()
        )
    cases = list(session.scalars(query.limit(2)))
    if not cases:
        raise LegalHoldError(N_("账号 %(account)r：没有该案件"), account=account_no)
    if len(cases) > 1:
        raise LegalHoldError(
            N_("账号 %(account)r：多家委托方都有此账号，请指明一家（--bank）"), account=account_no
        )
    return cases[0]


def place_legal_hold(  # noqa: PLR0917 (a hold's fields)
    session: Session,
    account_no: str,
    reason: LegalHoldReason,
    detail: str,
    actor: str,
    now: datetime,
    bank: str | None = None,
) -> LegalHold:
    """Keep everything of the case until the hold is released; ``detail`` says why."""
    if not detail.strip():
        raise LegalHoldError(N_("说明：请写明为何须保留这些记录"))
    case = _case(session, account_no, bank)
    lock_cases(session, [case.id])
    hold = LegalHold(
        case_id=case.id, reason=reason, detail=detail.strip(), placed_by=actor, placed_at=now
    )
    session.add(hold)
    session.flush()
    record_audit(
        session,
        actor,
        "legal_hold.place",
        object_type="case",
        object_id=str(case.id),
        detail={"legal_hold": hold.id, "reason": reason.value, "detail": hold.detail},
    )
    return hold


def release_legal_hold(
    session: Session, hold_id: int, actor: str, note: str, now: datetime
) -> LegalHold:
    """Release a hold; from now on retention may delete what has expired on its case."""
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise LegalHoldError(N_("法律保全 %(hold)s 不存在"), hold=hold_id)
    if hold.released_at is not None:
        raise LegalHoldError(
            N_("法律保全 %(hold)s 已由 %(who)s 解除"), hold=hold_id, who=hold.released_by
        )
    if not note.strip():
        raise LegalHoldError(N_("说明：请写明为何这些记录现在可以按保存期限处理"))
    hold.released_by, hold.released_at, hold.release_note = actor, now, note.strip()
    record_audit(
        session,
        actor,
        "legal_hold.release",
        object_type="case",
        object_id=str(hold.case_id),
        detail={"legal_hold": hold.id, "reason": hold.reason.value, "note": hold.release_note},
    )
    return hold


def standing_holds(session: Session) -> list[tuple[LegalHold, str]]:
    """The holds not yet released, with each case's account number, oldest first."""
    query = (
        select(LegalHold, Case.account_no)
        .join(Case, Case.id == LegalHold.case_id)
        .where(LegalHold.released_at.is_(None))
        .order_by(LegalHold.id)
    )
    return [(row[0], row[1]) for row in session.execute(query)]


def held_cases(session: Session, case_ids: Collection[int]) -> dict[int, str]:
    """Which of ``case_ids`` are held, and why (the first reason found)."""
    held: dict[int, str] = {}
    ids = list(case_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        holds = session.execute(
            select(LegalHold.case_id, LegalHold.id, LegalHold.reason)
            .where(LegalHold.case_id.in_(chunk), LegalHold.released_at.is_(None))
            .order_by(LegalHold.id)
        )
        for case_id, hold_id, reason in holds:
            held.setdefault(case_id, f"legal hold #{hold_id} ({reason.value})")
        complaints = session.execute(
            select(Complaint.case_id, Complaint.id)
            .where(Complaint.case_id.in_(chunk), Complaint.status == ComplaintStatus.OPEN)
            .order_by(Complaint.id)
        )
        for case_id, complaint_id in complaints:
            held.setdefault(case_id, f"complaint #{complaint_id} open")
    return held
