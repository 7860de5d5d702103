"""Weak sound matches the detector could not decide: for a person to listen to (待复听)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.enums import ReviewStatus, Speaker
from store.models.base import Base
from store.types import enum_column, utcnow


class ReviewItem(Base):
    """One utterance whose sound came near a rule's phrase, but not near enough to flag.

    Kept apart from ``flag`` on purpose: nothing that counts, reports or exports
    flags reads this table. QA either makes it a flag (``flag_id`` then names the
    flag it became) or dismisses it; either way who and when are kept.
    """

    __tablename__ = "review_item"
    __table_args__ = (UniqueConstraint("recording_id", "category", "speaker", "start_s"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recording.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(40), index=True)
    rule_id: Mapped[str] = mapped_column(String(80))
    severity: Mapped[int]
    """The rule's severity, should QA make it a flag."""
    speaker: Mapped[Speaker] = mapped_column(enum_column(Speaker))
    start_s: Mapped[float]
    end_s: Mapped[float]
    evidence: Mapped[str] = mapped_column(Text)
    match_start: Mapped[int]
    match_end: Mapped[int]
    """What sounded like the rule's phrase, as character offsets into ``evidence``."""
    cost: Mapped[float]
    """How far the sound was from the phrase (compliance.detector.confusion)."""
    detector_version: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[ReviewStatus] = mapped_column(
        enum_column(ReviewStatus), default=ReviewStatus.OPEN
    )
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("flag.id", ondelete="SET NULL"))
