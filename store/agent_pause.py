"""An agent's pauses (暂停): away from the phone for a break, a meal, training or a meeting.

While paused no call is placed for the agent (the console's dial, and a campaign's next call);
the wallboard shows it. A call already up is not cut: the pause counts once it has ended.
Pausing and resuming are audit-logged; pauses are kept, so a day's can be counted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.db import SessionFactory
from store.errors import StoreError
from store.models import Agent, AgentPause

PAUSE_REASONS = ("break", "meal", "training", "meeting", "other")
"""Why an agent may be away (小休, 用餐, 培训, 会议, 其他: the console's ``PAUSE_LABELS`` say
them in the reader's language)."""


class PauseError(StoreError):
    """A pause that cannot be taken or ended (unknown reason, not paused)."""


def current_pause(session: Session, agent_id: int) -> AgentPause | None:
    """The agent's pause in force, if any."""
    return session.scalars(
        select(AgentPause)
        .where(AgentPause.agent_id == agent_id, AgentPause.ended_at.is_(None))
        .order_by(AgentPause.id.desc())
        .limit(1)
    ).first()


def paused_agents(session: Session) -> dict[int, AgentPause]:
    """Every pause in force, by agent."""
    found = session.scalars(select(AgentPause).where(AgentPause.ended_at.is_(None)))
    return {pause.agent_id: pause for pause in found}


def paused_now(sessions: SessionFactory) -> frozenset[int]:
    """The agents paused at this moment (what a dialler asks before it gives one a call)."""
    with sessions() as session:
        return frozenset(paused_agents(session))


def pause(session: Session, agent: Agent, reason: str, actor: str, now: datetime) -> AgentPause:
    """Pause ``agent`` for ``reason`` (a key of :data:`PAUSE_REASONS`); pausing again while
    paused keeps the first pause (a double click starts nothing new)."""
    if reason not in PAUSE_REASONS:
        raise PauseError(
            f"暂停原因须为 {'、'.join(PAUSE_REASONS)} 之一 · "
            f"pause reason must be one of {', '.join(PAUSE_REASONS)}, not {reason[:20]!r}"
        )
    _lock(session, agent)  # two clicks at once: the second reads the first's pause
    held = current_pause(session, agent.id)
    if held is not None:
        return held
    row = AgentPause(agent_id=agent.id, reason=reason, started_at=now)
    session.add(row)
    session.flush()
    record_audit(
        session,
        actor,
        "agent.pause",
        object_type="agent",
        object_id=agent.code,
        detail={"reason": reason, "pause_id": row.id},
    )
    return row


def _lock(session: Session, agent: Agent) -> None:
    """The agent's row, locked until the transaction ends, so pausing and resuming read what
    a concurrent click wrote (on SQLite the write lock, BEGIN IMMEDIATE, already does)."""
    session.execute(select(Agent.id).where(Agent.id == agent.id).with_for_update())


def resume(session: Session, agent: Agent, actor: str, now: datetime) -> AgentPause | None:
    """End ``agent``'s pause; None when they were not paused (nothing written)."""
    _lock(session, agent)  # a double click: the second finds the pause already ended
    held = current_pause(session, agent.id)
    if held is None:
        return None
    held.ended_at = now
    record_audit(
        session,
        actor,
        "agent.resume",
        object_type="agent",
        object_id=agent.code,
        detail={"reason": held.reason, "pause_id": held.id},
    )
    return held
