"""Today's work per agent and team (班组): attempts, connected calls, talk time, notes owed,
flags and holds, for the agents a viewer may see (:mod:`store.scope`).

A day is the call centre's day: ``start``/``end`` are its midnights in UTC
(:func:`day_window`). Calls count on the day they were dialled; their flags and the holds
their callee events placed count with them, whenever the transcription finished. Notes
owed are every finished call still without a note, whatever its day, because that is
what stands between the agent and their next call.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from store.enums import AttemptStatus
from store.models import Agent, CallAttempt, Flag, Hold, Recording, Team
from store.notes import owes_note
from store.qa import CALLEE_EVENTS
from store.scope import Viewer, visible_agents, visible_teams


@dataclass
class Counters:
    attempts: int = 0
    """Calls dialled (a dial the policy refused at reservation is not one)."""
    connected: int = 0
    talk_s: float = 0.0
    """From answer to hang-up, calls that have ended."""
    notes_owed: int = 0
    flags: int = 0
    """The detector's findings on the agent's conduct (callee events are not counted)."""
    holds: int = 0
    """Cases put on hold (停催) by what a callee said on these calls."""

    def add(self, other: Counters) -> None:
        self.attempts += other.attempts
        self.connected += other.connected
        self.talk_s += other.talk_s
        self.notes_owed += other.notes_owed
        self.flags += other.flags
        self.holds += other.holds


@dataclass(frozen=True)
class AgentDay:
    agent: Agent
    counters: Counters


@dataclass
class TeamDay:
    team: Team | None
    """None: the agents no team has yet (only those who see every agent see them)."""
    agents: list[AgentDay] = field(default_factory=list)
    total: Counters = field(default_factory=Counters)


def day_window(now: datetime, zone: str) -> tuple[datetime, datetime]:
    """The centre's day around ``now``, as [midnight, next midnight) in aware datetimes."""
    tz = ZoneInfo(zone)
    day = now.astimezone(tz).date()
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def team_days(session: Session, viewer: Viewer, start: datetime, end: datetime) -> list[TeamDay]:
    """Every team ``viewer`` may see, with its active agents' counters, ordered by code."""
    teams = session.scalars(select(Team).where(visible_teams(viewer)).order_by(Team.code)).all()
    by_team: dict[int | None, TeamDay] = {team.id: TeamDay(team) for team in teams}
    agents = session.scalars(
        select(Agent).where(Agent.active, visible_agents(viewer)).order_by(Agent.code)
    ).all()
    counters = _counters(session, [agent.id for agent in agents], start, end)
    for agent in agents:
        row = by_team.get(agent.team_id)
        if row is None:
            row = by_team.setdefault(None, TeamDay(None))
        mine = counters[agent.id]
        row.agents.append(AgentDay(agent, mine))
        row.total.add(mine)
    return list(by_team.values())


@dataclass(frozen=True)
class AgentDetail:
    agent: Agent
    team: Team | None
    counters: Counters
    calls: list[CallAttempt]
    """The day's calls, newest first."""


def agent_detail(
    session: Session, viewer: Viewer, agent_id: int, start: datetime, end: datetime
) -> AgentDetail | None:
    """One agent's day, or None when there is no such agent or ``viewer`` may not see it."""
    agent = session.scalar(select(Agent).where(Agent.id == agent_id, visible_agents(viewer)))
    if agent is None:
        return None
    calls = session.scalars(
        _dialled([agent.id], start, end).order_by(
            CallAttempt.reserved_at.desc(), CallAttempt.id.desc()
        )
    )
    team = session.get(Team, agent.team_id) if agent.team_id is not None else None
    return AgentDetail(
        agent, team, _counters(session, [agent.id], start, end)[agent.id], list(calls)
    )


def _dialled(agent_ids: list[int], start: datetime, end: datetime) -> Select[CallAttempt]:
    return select(CallAttempt).where(
        CallAttempt.agent_id.in_(agent_ids),
        CallAttempt.reserved_at >= start,
        CallAttempt.reserved_at < end,
        CallAttempt.status != AttemptStatus.BLOCKED,
    )


def _counters(
    session: Session, agent_ids: list[int], start: datetime, end: datetime
) -> dict[int, Counters]:
    found: dict[int, Counters] = defaultdict(Counters)
    if not agent_ids:
        return found
    calls = _dialled(agent_ids, start, end).subquery()
    for agent_id, answered, ended in session.execute(
        select(calls.c.agent_id, calls.c.answered_at, calls.c.ended_at)
    ):
        mine = found[agent_id]
        mine.attempts += 1
        if answered is not None:
            mine.connected += 1
            if ended is not None:
                mine.talk_s += max(0.0, (ended - answered).total_seconds())
    owed = select(CallAttempt.agent_id, func.count()).where(
        CallAttempt.agent_id.in_(agent_ids), owes_note()
    )
    for agent_id, count in session.execute(owed.group_by(CallAttempt.agent_id)):
        if agent_id is not None:  # it is: the ids asked for
            found[agent_id].notes_owed = count
    on_calls = (
        select(calls.c.agent_id, func.count())
        .select_from(calls)
        .join(Recording, Recording.call_attempt_id == calls.c.id)
        .join(Flag, Flag.recording_id == Recording.id)
        .group_by(calls.c.agent_id)
    )
    conduct = on_calls.where(Flag.category.not_in(CALLEE_EVENTS))
    for agent_id, count in session.execute(conduct):
        found[agent_id].flags = count
    for agent_id, count in session.execute(on_calls.join(Hold, Hold.source_flag_id == Flag.id)):
        found[agent_id].holds = count
    return found
