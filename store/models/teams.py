"""Teams (班组): agents work in one team; a supervisor (班组长) leads one or more."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base
from store.types import utcnow


class Team(Base):
    """A team of agents; ``Agent.team_id`` says who is in it."""

    __tablename__ = "team"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TeamSupervisor(Base):
    """A supervisor user leads a team; a team may have several leads, a lead several teams."""

    __tablename__ = "team_supervisor"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgentPause(Base):
    """An agent away from the phone (暂停: 小休, 用餐, 培训…): no call is placed for them until
    they resume. Kept, not overwritten, so that a day's pauses can be counted."""

    __tablename__ = "agent_pause"
    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agent.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    """None while the agent is still paused."""
