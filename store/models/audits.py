"""The reverse audit (倒查) of a month's bottom collectors: the draw, whom it audits, and
the cases drawn for QA with QA's two verdicts on each."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base
from store.types import utcnow


class AuditDraw(Base):
    """One month's draw; there is at most one, so drawing again finds it (idempotent)."""

    __tablename__ = "audit_draw"
    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(unique=True)
    """The month's first day."""
    seed: Mapped[str] = mapped_column(String(200))
    bottom_n: Mapped[int]
    per_agent: Mapped[int]
    ranked: Mapped[int]
    """How many collectors the month's ranking held when it was drawn."""
    measures: Mapped[list[Any]] = mapped_column(JSON)
    """The ranking's measures as configured then: [measure, weight, better] each."""
    drawn_by: Mapped[str] = mapped_column(String(64))
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditSubject(Base):
    """A collector the draw audits: their place in the ranking when it was drawn."""

    __tablename__ = "audit_subject"
    __table_args__ = (UniqueConstraint("draw_id", "agent_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("audit_draw.id", ondelete="CASCADE"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agent.id"), index=True)
    position: Mapped[int]
    score: Mapped[float]
    candidates: Mapped[int]
    """The cases the sample was drawn from (a recorded call and a note in the month)."""


class AuditSample(Base):
    """One case drawn for QA, and whether its class and notes match its recordings."""

    __tablename__ = "audit_sample"
    __table_args__ = (UniqueConstraint("subject_id", "case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(
        ForeignKey("audit_subject.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("collection_case.id"))
    ticket: Mapped[str] = mapped_column(String(64))
    """Its place in the draw (compliance.ranking.ticket)."""
    class_matches: Mapped[bool | None]
    notes_match: Mapped[bool | None]
    remark: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None]
