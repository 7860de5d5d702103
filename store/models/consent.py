"""A debtor's consent to be called outside the window or more often, per case (issue 19)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.enums import ConsentScope
from store.models.base import Base
from store.types import enum_column, utcnow


class CaseConsent(Base):
    """Requested by an agent, in force once a supervisor or admin approves it, until
    ``valid_until`` or until withdrawn. Evidence: the call and the utterance where the debtor
    agreed, or a note. Only :mod:`store.consents` writes rows (each change audit-logged)."""

    __tablename__ = "case_consent"
    __table_args__ = (CheckConstraint("valid_from < valid_until", name="consent_period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("collection_case.id"), index=True)
    scope: Mapped[ConsentScope] = mapped_column(enum_column(ConsentScope))
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    call_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("call_attempt.id"))
    utterance_id: Mapped[int | None] = mapped_column(ForeignKey("utterance.id"))
    evidence_note: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(String(64))
    withdrawn_at: Mapped[datetime | None]
    withdraw_note: Mapped[str | None] = mapped_column(Text)
