"""Legal holds on a case's records and the tombstones retention leaves for what it deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from compliance.retention import Kind
from store.enums import LegalHoldReason
from store.models.base import Base
from store.types import enum_column, utcnow


class LegalHold(Base):
    """Nothing of the case is deleted by retention until the hold is released."""

    __tablename__ = "legal_hold"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("collection_case.id"), index=True)
    reason: Mapped[LegalHoldReason] = mapped_column(enum_column(LegalHoldReason))
    detail: Mapped[str] = mapped_column(Text)
    """Why, in the words of whoever placed it (required)."""
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_by: Mapped[str | None] = mapped_column(String(64))
    released_at: Mapped[datetime | None]
    release_note: Mapped[str | None] = mapped_column(Text)


class Tombstone(Base):
    """One thing retention deleted: what, when, under which rule, and the hash of what it was.

    No foreign keys: a tombstone outlives what it names. For a recording, ``file_path`` is
    the archived file, removed after the row's deletion committed; ``file_removed_at`` stays
    empty until it is gone, so a run that died in between finishes the job on the next run.
    """

    __tablename__ = "retention_tombstone"
    __table_args__ = (Index("ix_retention_tombstone_kind_object", "kind", "object_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[Kind] = mapped_column(enum_column(Kind))
    object_id: Mapped[int]
    """The deleted row's id (a transcript's is its recording's)."""
    case_id: Mapped[int | None]
    bank: Mapped[str | None] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(120))
    """The period that expired, as the periods file spells it."""
    rules_source: Mapped[str] = mapped_column(String(500))
    """The periods file the rule came from."""
    since: Mapped[datetime]
    """When its period started to run."""
    deleted_at: Mapped[datetime] = mapped_column(index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    """A recording's audio hash; for rows, the hash of their canonical JSON (``detail``
    says which rows)."""
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    deleted_by: Mapped[str] = mapped_column(String(64))
    file_path: Mapped[str | None] = mapped_column(String(500))
    file_removed_at: Mapped[datetime | None]
