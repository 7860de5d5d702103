"""The kept schedule: every agent's worklist as rows, its state, and the marks writers leave.

One owner process (``callwarden schedule keep``) writes ``schedule_entry`` and
``schedule_state``; every other process only reads them. Writers of the facts a schedule
reads add a ``schedule_mark`` row in the same transaction as their change
(:mod:`store.schedule_marks`), and the owner deletes the marks it has applied.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base
from store.types import utcnow


class ScheduleState(Base):
    """The one row (id 1) saying which schedule the entries are, and until when it holds."""

    __tablename__ = "schedule_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    ruleset: Mapped[str] = mapped_column(String(200))
    agents: Mapped[str] = mapped_column(Text)
    """The active agents' codes it was dealt to, one per line (a change means a rebuild)."""
    built_for: Mapped[datetime]
    """The instant the schedule was computed for."""
    valid_until: Mapped[datetime]
    """The first instant at which the clock alone may change it (a window, a slot, midnight,
    a cap running out); from ``built_for`` up to it, the rows equal a fresh build."""
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
    generation: Mapped[int] = mapped_column(default=0)
    """Raised by each write: an owner that built from an older generation may not write."""
    entries: Mapped[int] = mapped_column(default=0)


class ScheduleEntry(Base):
    """One dialable number on one agent's worklist.

    The order is the scheduler's, spelled as columns that sort ascending on both
    databases: the due-ness tier (past every tier when the case's debtor was reached
    today, who then comes after every case that was not), the first-call deadline
    (``due_key``, far in the future when none), the most days past due and the largest
    amount (negated), the case id, then the number's place within its case. A case's rows
    can so be replaced alone.
    """

    __tablename__ = "schedule_entry"
    __table_args__ = (
        Index(
            "ix_schedule_entry_order",
            "agent",
            "tier",
            "due_key",
            "neg_days_past_due",
            "neg_amount_cents",
            "case_id",
            "place",
        ),
        Index("ix_schedule_entry_case", "case_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    agent: Mapped[str] = mapped_column(String(32))
    tier: Mapped[int]
    due_key: Mapped[datetime]
    neg_days_past_due: Mapped[int]
    neg_amount_cents: Mapped[int]
    case_id: Mapped[int]
    place: Mapped[int]
    phone_number_id: Mapped[int]
    account_no: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24))
    e164: Mapped[str] = mapped_column(String(20))
    rule: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text)
    due_by: Mapped[datetime | None]
    reason_zh: Mapped[str] = mapped_column(Text, default="", server_default="")
    """Why it is due, in Chinese and in English only (issue 20: the console shows its
    reader's language; empty on rows kept before migration 0026, which show ``reason``)."""
    reason_en: Mapped[str] = mapped_column(Text, default="", server_default="")


class ScheduleBlocked(Base):
    """A number of a case on someone's worklist that may not be dialled now: the policy's
    rule, its reason in Chinese and when it may next be (issue 22: the agent sees every
    number of a case, and why one is not offered, without the page deciding anything), and
    in English for a reader who chose it (issue 20; empty on rows kept before 0024).

    Only cases with a dialable number are kept so: a book's blocked numbers (all of them
    at night) would cost the owner a million rows per window boundary."""

    __tablename__ = "schedule_blocked"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(index=True)
    phone_number_id: Mapped[int]
    rule: Mapped[str] = mapped_column(String(80))
    reason_zh: Mapped[str] = mapped_column(Text)
    reason_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    next_allowed_at: Mapped[datetime | None]


class ScheduleMark(Base):
    """Something a schedule reads changed: a case (``case_id``), whoever shares a person or a
    number (``person_id``, ``e164``), or, with all three empty, anything (an import)."""

    __tablename__ = "schedule_mark"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None]
    person_id: Mapped[int | None]
    e164: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
