"""The rows behind the live wallboard (实时看板): the agents a viewer may see with today's
counters, the calls they have up now, and today's live alerts on their calls.

Reads only, through :mod:`store.scope`'s rule, so the wallboard cannot show more than the team
page. What the rows mean on the board (idle, ringing, talking, wrap-up) is decided by the pure
:func:`console.wallboard.board`; acknowledging an alert is :func:`acknowledge_alert`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, and_, func, or_, select, update
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.enums import AttemptStatus, Speaker
from store.models import (
    Agent,
    AgentPause,
    CallAttempt,
    CollectionNote,
    Flag,
    Hold,
    LiveAlert,
    LiveUtterance,
    Person,
    Team,
)
from store.notes import IN_FLIGHT
from store.scope import Viewer, visible_agent_ids, visible_agents
from store.team_day import Counters, team_days

ALERTS_SHOWN = 100
"""Today's newest alerts on the board; older ones stay in the audit log and the QA pages."""
LINES_SHOWN = 3
"""The newest live utterances of each call up on the board (its running transcript)."""


@dataclass(frozen=True)
class AgentRow:
    agent_id: int
    code: str
    name: str
    team: str
    """The team's name ("" for an agent no team has yet)."""
    counters: Counters


@dataclass(frozen=True)
class LiveLine:
    """One utterance the live follower heard in a call that is still up."""

    speaker: Speaker
    start_s: float
    text: str
    flag: str = ""
    """The category of the live alert this line raised ("" for none)."""


@dataclass(frozen=True)
class OpenCall:
    """A call of today that has not ended: dialling/ringing, or answered and still up."""

    attempt_id: int
    agent_id: int
    status: AttemptStatus
    e164: str
    callee_name: str
    reserved_at: datetime
    originated_at: datetime | None
    answered_at: datetime | None
    lines: tuple[LiveLine, ...] = ()
    """Its newest :data:`LINES_SHOWN` live utterances, oldest first."""
    ringing_at: datetime | None = None
    """When the callee's phone began to ring; None while still dialling (or answered at once)."""


@dataclass(frozen=True)
class AlertRow:
    alert_id: int
    attempt_id: int
    agent_id: int
    category: str
    speaker: Speaker
    start_s: float
    """Seconds into the call where the utterance began."""
    evidence: str
    created_at: datetime
    seen_at: datetime | None
    offers_barge: bool = False
    """``[live.actions]`` says ``barge``: the lead is offered a one-click barge into the call."""


@dataclass(frozen=True)
class FloorRows:
    agents: tuple[AgentRow, ...]
    calls: tuple[OpenCall, ...]
    alerts: tuple[AlertRow, ...]
    """Newest first."""
    mark: tuple[object, ...] = ()
    """What the agents' counters were counted from (see :func:`floor_rows`)."""
    pauses: dict[int, tuple[str, datetime]] = field(default_factory=dict)
    """The agents paused now: their reason and since when (read on every poll: a handful)."""


def floor_rows(
    session: Session,
    viewer: Viewer,
    start: datetime,
    end: datetime,
    before: FloorRows | None = None,
) -> FloorRows:
    """What the board of ``viewer`` is drawn from, for the centre's day [start, end).

    Counting the day's calls is most of a poll's cost, so with ``before`` (this board's last
    rows) they are counted again only when something they count may have changed: a call
    dialled, answered or ended, a note, flag or hold written, or the agents themselves.
    """
    mine = visible_agent_ids(viewer)
    open_calls = _open_calls(session, mine, start, end)
    mark = _mark(session, viewer, open_calls)
    if before is not None and before.mark == mark:
        agents = before.agents
    else:
        agents = tuple(
            AgentRow(
                a.agent.id, a.agent.code, a.agent.name, t.team.name if t.team else "", a.counters
            )
            for t in team_days(session, viewer, start, end)
            for a in t.agents
        )
    pauses = {
        p.agent_id: (p.reason, p.started_at)
        for p in session.scalars(
            select(AgentPause).where(AgentPause.ended_at.is_(None), AgentPause.agent_id.in_(mine))
        )
    }
    return FloorRows(agents, open_calls, _alerts(session, mine, start, end), mark, pauses)


def _mark(session: Session, viewer: Viewer, calls: tuple[OpenCall, ...]) -> tuple[object, ...]:
    # Calls, notes, flags and holds are only ever added (ids grow); a call's progress shows in
    # the calls up now, and one that ended has left them.
    newest = session.execute(
        select(
            select(func.max(CallAttempt.id)).scalar_subquery(),
            select(func.max(CollectionNote.id)).scalar_subquery(),
            select(func.max(Flag.id)).scalar_subquery(),
            select(func.max(Hold.id)).scalar_subquery(),
        )
    ).one()
    agents = session.execute(
        select(Agent.id, Agent.code, Agent.name, Agent.team_id, Team.name)
        .outerjoin(Team, Team.id == Agent.team_id)
        .where(Agent.active, visible_agents(viewer))
        .order_by(Agent.id)
    ).all()
    progress = tuple((c.attempt_id, c.status, c.answered_at) for c in calls)
    return (tuple(newest), tuple(tuple(a) for a in agents), progress)


def _open_calls(
    session: Session, mine: Select[int], start: datetime, end: datetime
) -> tuple[OpenCall, ...]:
    up = or_(
        CallAttempt.status.in_(IN_FLIGHT),
        and_(CallAttempt.answered_at.is_not(None), CallAttempt.ended_at.is_(None)),
    )
    calls = session.execute(
        select(CallAttempt, Person.name)
        .join(Person, Person.id == CallAttempt.person_id)
        .where(
            CallAttempt.agent_id.in_(mine),
            CallAttempt.reserved_at >= start,
            CallAttempt.reserved_at < end,
            up,
        )
        .order_by(CallAttempt.reserved_at, CallAttempt.id)
    )
    found = [(c, name) for c, name in calls]
    lines = _live_lines(session, [c.id for c, _ in found])
    return tuple(
        OpenCall(
            c.id,
            c.agent_id or 0,  # never 0: the scope filter matched an agent
            c.status,
            c.e164,
            name,
            c.reserved_at,
            c.originated_at,
            c.answered_at,
            lines.get(c.id, ()),
            c.ringing_at,
        )
        for c, name in found
    )


def _live_lines(session: Session, attempt_ids: list[int]) -> dict[int, tuple[LiveLine, ...]]:
    """The newest :data:`LINES_SHOWN` live utterances of each call, oldest first: ranked in the
    database, so a long call's hundreds of utterances are not read on every poll."""
    if not attempt_ids:
        return {}
    newest_first = (
        func.row_number()
        .over(
            partition_by=LiveUtterance.call_attempt_id,
            order_by=(LiveUtterance.start_s.desc(), LiveUtterance.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        select(
            LiveUtterance.call_attempt_id,
            LiveUtterance.speaker,
            LiveUtterance.start_s,
            LiveUtterance.text,
            newest_first,
        )
        .where(LiveUtterance.call_attempt_id.in_(attempt_ids))
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.call_attempt_id, ranked.c.speaker, ranked.c.start_s, ranked.c.text)
        .where(ranked.c.rank <= LINES_SHOWN)
        .order_by(ranked.c.call_attempt_id, ranked.c.rank.desc())
    )
    found = [(a, Speaker(speaker), start_s, text) for a, speaker, start_s, text in rows]
    flags = _line_flags(session, attempt_ids, {start_s for _, _, start_s, _ in found})
    lines: dict[int, list[LiveLine]] = {}
    for attempt_id, speaker, start_s, text in found:
        flag = flags.get((attempt_id, speaker, start_s), "")
        lines.setdefault(attempt_id, []).append(LiveLine(speaker, start_s, text, flag))
    return {attempt_id: tuple(shown) for attempt_id, shown in lines.items()}


def _line_flags(
    session: Session, attempt_ids: list[int], starts: set[float]
) -> dict[tuple[int, Speaker, float], str]:
    """The category each shown line raised an alert for, from the call's own alerts (not from
    the day's newest, which a busy floor pushes an early alert out of)."""
    if not starts:
        return {}
    found = session.execute(
        select(LiveAlert.call_attempt_id, LiveAlert.speaker, LiveAlert.start_s, LiveAlert.category)
        .where(LiveAlert.call_attempt_id.in_(attempt_ids), LiveAlert.start_s.in_(starts))
        .order_by(LiveAlert.id)
    )
    marks: dict[tuple[int, Speaker, float], str] = {}
    for attempt_id, speaker, start_s, category in found:
        marks.setdefault((attempt_id, Speaker(speaker), start_s), category)
    return marks


def _alerts(
    session: Session, mine: Select[int], start: datetime, end: datetime
) -> tuple[AlertRow, ...]:
    alerts = session.execute(
        select(LiveAlert, CallAttempt.agent_id)
        .join(CallAttempt, CallAttempt.id == LiveAlert.call_attempt_id)
        .where(
            CallAttempt.agent_id.in_(mine),
            LiveAlert.created_at >= start,
            LiveAlert.created_at < end,
        )
        .order_by(LiveAlert.created_at.desc(), LiveAlert.id.desc())
        .limit(ALERTS_SHOWN)
    )
    return tuple(
        AlertRow(
            a.id,
            a.call_attempt_id,
            agent_id or 0,
            a.category,
            a.speaker,
            a.start_s,
            a.evidence,
            a.created_at,
            a.seen_at,
            "barge" in (a.actions or []),
        )
        for a, agent_id in alerts
    )


def acknowledge_alert(
    session: Session, viewer: Viewer, actor: str, alert_id: int, now: datetime
) -> bool | None:
    """Mark a live alert seen by ``actor``, audit-logged; None when ``viewer`` may not see it
    (or there is none), False when it had been acknowledged already (nothing written)."""
    alert = session.scalar(
        select(LiveAlert)
        .join(CallAttempt, CallAttempt.id == LiveAlert.call_attempt_id)
        .where(LiveAlert.id == alert_id, CallAttempt.agent_id.in_(visible_agent_ids(viewer)))
    )
    if alert is None:
        return None
    # One conditional update: two leads pressing at once make one acknowledgement.
    done = session.execute(
        update(LiveAlert)
        .where(LiveAlert.id == alert_id, LiveAlert.seen_at.is_(None))
        .values(seen_at=now)
        .execution_options(synchronize_session=False)
    )
    if cast("CursorResult[Any]", done).rowcount == 0:
        return False
    record_audit(
        session,
        actor,
        "live.alert.seen",
        object_type="live_alert",
        object_id=str(alert.id),
        detail={
            "call_attempt_id": alert.call_attempt_id,
            "category": alert.category,
            "utterance": alert.evidence,
        },
    )
    return True
