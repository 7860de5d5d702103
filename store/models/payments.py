"""Payments the client bank reports (还款), imported from its payment files."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base
from store.types import utcnow


class Payment(Base):
    """One payment on a case, as the bank's file gave it.

    Its natural key is (case, day, amount, channel, reference): a payment file that
    repeats a payment already stored (the same file again, or a monthly statement that
    overlaps a weekly one) adds nothing. Two real payments that agree on all five must
    differ in their reference (the bank's 流水号).
    """

    __tablename__ = "payment"
    __table_args__ = (
        UniqueConstraint("case_id", "paid_on", "amount_cents", "channel", "reference"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("collection_case.id"))
    amount_cents: Mapped[int]
    paid_on: Mapped[date]
    channel: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(64), default="")
    """The bank's transaction reference; empty when the file has none."""
    file_sha256: Mapped[str] = mapped_column(String(64))
    source_row: Mapped[int]
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
