"""What the web console keeps: login sessions, versions of admins' files, QA spot checks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.enums import SpotCheckResult
from store.models.base import Base
from store.types import enum_column, utcnow


class WebSession(Base):
    """A logged-in browser. Only the token's sha256 is stored, so a leaked table logs no one in."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class ConfigVersion(Base):
    """One saved version of an admin-edited file (a policy profile or a lexicon).

    Every save is kept, so any two versions can be compared and an old one restored;
    the newest version of a name is the one in force.
    """

    __tablename__ = "config_version"
    __table_args__ = (UniqueConstraint("kind", "name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    """``policy`` or ``lexicon``."""
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpotCheck(Base):
    """A QA inspector's review of a whole call drawn for a spot check (质检抽查)."""

    __tablename__ = "spot_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recording.id", ondelete="CASCADE"), unique=True
    )
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    result: Mapped[SpotCheckResult] = mapped_column(enum_column(SpotCheckResult))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
