"""The complaint register (投诉处理记录单) and what each complaint links to."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from compliance.complaints import Channel, ComplaintStatus, Grade
from store.models.base import Base
from store.types import enum_column, utcnow


class Complaint(Base):
    """One complaint about the collection of one case; the case is on hold while it is open."""

    __tablename__ = "complaint"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("collection_case.id"), index=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    grade: Mapped[Grade] = mapped_column(enum_column(Grade))
    derived_grade: Mapped[Grade] = mapped_column(enum_column(Grade, name="ck_derived_grade"))
    """What the channel implied; ``grade`` differs when a person changed it."""
    alleged: Mapped[str] = mapped_column(Text)
    """What the complainant says happened."""
    handler: Mapped[str] = mapped_column(String(64))
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_on: Mapped[date]
    status: Mapped[ComplaintStatus] = mapped_column(enum_column(ComplaintStatus))
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None]
    bank_told: Mapped[bool] = mapped_column(default=False)
    """Whether the client bank was told the outcome."""
    hold_id: Mapped[int] = mapped_column(ForeignKey("hold.id"))
    """The hold (停催) this complaint placed; resolving clears it, and only it."""
    source_flag_id: Mapped[int | None] = mapped_column(ForeignKey("flag.id"))
    """The callee's complaint_tendency flag it was opened from, if any."""
    window_from: Mapped[datetime | None]
    window_to: Mapped[datetime | None]
    """The calls, notes and flags linked are those of the case in this window (None: open on
    that side, everything the case held when the complaint was opened)."""


class ComplaintLink(Base):
    """Something on the case the complaint is about: a call attempt, a recording (with its
    transcript), a flag or a collection note, fixed when the complaint was opened."""

    __tablename__ = "complaint_link"
    __table_args__ = (UniqueConstraint("complaint_id", "kind", "object_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    """``call_attempt``, ``recording``, ``flag`` or ``note``."""
    object_id: Mapped[int]
