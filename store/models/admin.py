"""Users, QA verdicts, collection notes, holds, do-not-call and the audit trail."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.enums import AccountClass, HoldReason, Role, Verdict
from store.models.base import Base
from store.types import enum_column, utcnow


class User(Base):
    """Someone who logs in to the console."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sip_endpoint: Mapped[str | None] = mapped_column(String(100))
    """A supervisor's or admin's own desk phone (``PJSIP/1001``): where listening in rings."""
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN", server_default="zh_CN")
    """The console's language for this user: ``zh_CN`` (the default) or ``en``."""


class ReviewVerdict(Base):
    """A QA inspector's verdict on one flag (质检结论)."""

    __tablename__ = "review_verdict"
    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flag.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    verdict: Mapped[Verdict] = mapped_column(enum_column(Verdict))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CollectionNote(Base):
    """The note an agent must log after every call (催收记录)."""

    __tablename__ = "collection_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("collection_case.id"), index=True)
    call_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("call_attempt.id"), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agent.id"))
    outcome: Mapped[str] = mapped_column(String(40))
    account_class: Mapped[AccountClass | None] = mapped_column(enum_column(AccountClass, 1))
    promised_amount_cents: Mapped[int | None]
    promised_date: Mapped[date | None]
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What the rules drafted from the transcript (compliance.notes_draft), kept beside what
    # the agent saved so QA sees what the agent changed; all None when no draft was shown.
    draft_outcome: Mapped[str | None] = mapped_column(String(40))
    draft_amount_cents: Mapped[int | None]
    draft_date: Mapped[date | None]
    draft_text: Mapped[str | None] = mapped_column(Text)
    draft_rules: Mapped[str | None] = mapped_column(String(20))


class Hold(Base):
    """Collection stopped on a case (停催) until someone clears it."""

    __tablename__ = "hold"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("collection_case.id"), index=True)
    reason: Mapped[HoldReason] = mapped_column(enum_column(HoldReason))
    detail: Mapped[str] = mapped_column(Text, default="")
    source_flag_id: Mapped[int | None] = mapped_column(ForeignKey("flag.id"))
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    cleared_by: Mapped[str | None] = mapped_column(String(64))
    cleared_at: Mapped[datetime | None]
    clear_note: Mapped[str | None] = mapped_column(Text)


class DoNotCall(Base):
    """A number that must never be dialled again."""

    __tablename__ = "do_not_call"
    id: Mapped[int] = mapped_column(primary_key=True)
    e164: Mapped[str] = mapped_column(String(20), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    source_flag_id: Mapped[int | None] = mapped_column(ForeignKey("flag.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditLog(Base):
    """Who did what, when: imports, playbacks, unmasking, holds, verdicts.

    A hash chain (``store.audit_chain``): ``chain_hash`` covers the row's content, its
    position ``chain_seq`` (1, 2, 3... without gaps) and ``chain_prev``, the previous row's
    hash. Only :func:`store.audit.record_audit` writes rows.
    """

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    chain_seq: Mapped[int] = mapped_column(unique=True)
    chain_version: Mapped[int] = mapped_column(SmallInteger)
    chain_prev: Mapped[str] = mapped_column(String(64))
    chain_hash: Mapped[str] = mapped_column(String(64))
