"""A case's payments and the status of each promise made on it, for the agent's case page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.promises import PaymentMade, Promise, PromiseJudgement, promise_status
from store.models import Case, CollectionNote, Payment


@dataclass(frozen=True)
class CasePayments:
    payments: list[Payment]
    """Newest first."""
    paid_since_import_cents: int
    """What counts against the amount overdue (see store.payments.load.close_paid_cases)."""
    promises: dict[int, PromiseJudgement]
    """Note id → the status of the promise the note recorded."""


def case_payments(
    session: Session, case: Case, notes: Sequence[CollectionNote], now: datetime, zone: tzinfo
) -> CasePayments:
    payments = list(
        session.scalars(
            select(Payment)
            .where(Payment.case_id == case.id)
            .order_by(Payment.paid_on.desc(), Payment.id.desc())
        )
    )
    since = case.imported_at.astimezone(zone).date()
    made = [PaymentMade(p.amount_cents, p.paid_on) for p in payments]
    promises = {
        note.id: promise_status(
            Promise(note.promised_amount_cents, note.promised_date, note.created_at),
            made,
            now,
            zone,
        )
        for note in notes
        if note.promised_amount_cents and note.promised_date
    }
    paid = sum(p.amount_cents for p in payments if p.paid_on >= since)
    return CasePayments(payments, paid, promises)
