"""What the live follower heard while a call was still up, and the alerts it raised."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.enums import Speaker
from store.models.base import Base
from store.types import enum_column, utcnow


class LiveUtterance(Base):
    """One utterance decoded during the call (live); the batch transcript is in ``utterance``.

    Keyed by the attempt, not a recording: while the call is up there is no recording row yet.
    """

    __tablename__ = "live_utterance"
    __table_args__ = (UniqueConstraint("call_attempt_id", "speaker", "start_s"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    call_attempt_id: Mapped[int] = mapped_column(ForeignKey("call_attempt.id"), index=True)
    speaker: Mapped[Speaker] = mapped_column(enum_column(Speaker))
    start_s: Mapped[float]
    end_s: Mapped[float]
    text: Mapped[str] = mapped_column(Text)
    avg_logprob: Mapped[float | None]
    partial: Mapped[bool] = mapped_column(default=False)
    """A ≤ 5 s piece of a longer utterance (cut so a long stretch is still checked in time)."""
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)


class LiveAlert(Base):
    """A detector hit during the call and the actions the live table gave it."""

    __tablename__ = "live_alert"
    id: Mapped[int] = mapped_column(primary_key=True)
    call_attempt_id: Mapped[int] = mapped_column(ForeignKey("call_attempt.id"), index=True)
    category: Mapped[str] = mapped_column(String(40), index=True)
    speaker: Mapped[Speaker] = mapped_column(enum_column(Speaker))
    start_s: Mapped[float]
    evidence: Mapped[str] = mapped_column(Text)
    rule_id: Mapped[str] = mapped_column(String(80))
    actions: Mapped[list[str]] = mapped_column(JSON)
    """What was done (``hold_case``, ``alert``…), as the ``[live]`` table said at the time."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime | None]
    """When a supervisor acknowledged it (the wallboard, a later step)."""


class LiveCall(Base):
    """A call the live follower heard to its end (the files closed, the follower not killed):
    its live transcript is whole, so the batch pipeline may keep it (``live.after_call``)."""

    __tablename__ = "live_call"
    call_attempt_id: Mapped[int] = mapped_column(ForeignKey("call_attempt.id"), primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)
