"""The rows team progress (团队催收进度) is computed from, for the agents a viewer may see
(:mod:`store.scope`): their calls, promises, cases, payments, flags with verdicts and
complaints over a window of days on the centre's clock. The figures themselves are
:mod:`compliance.team_progress`'s.

Attribution: a call, a promise (the note that recorded it) and a flag belong to the agent
who made the call; a case, its payments and its complaints to the agent who holds it now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from compliance.team_progress import (
    CallRow,
    CaseRow,
    ComplaintRow,
    FlagRow,
    PaymentRow,
    PromiseRow,
    Rows,
)
from store.enums import AttemptStatus
from store.models import (
    Agent,
    CallAttempt,
    Case,
    CollectionNote,
    Complaint,
    Flag,
    Payment,
    Recording,
    ReviewVerdict,
    Team,
)
from store.notes import owes_note
from store.qa import CALLEE_EVENTS
from store.scope import Viewer, visible_agents, visible_teams


@dataclass(frozen=True)
class ProgressScope:
    teams: list[Team]
    """The teams the viewer may see, by code."""
    agents: list[Agent]
    """Their active agents (and, for those who see everyone, agents in no team), by code."""
    rows: Rows


def _bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[first's midnight, the midnight after last) on the centre's clock."""
    start = datetime.combine(first, time(0), tzinfo=zone)
    return start, datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)


def progress_rows(
    session: Session, viewer: Viewer, first: date, last: date, zone: ZoneInfo
) -> ProgressScope:
    """Everything from ``first`` to ``last`` (both included) for ``viewer``'s agents."""
    teams = list(session.scalars(select(Team).where(visible_teams(viewer)).order_by(Team.code)))
    agents = list(
        session.scalars(
            select(Agent).where(Agent.active, visible_agents(viewer)).order_by(Agent.code)
        )
    )
    ids = [agent.id for agent in agents]
    if not ids:
        return ProgressScope(teams, agents, Rows())
    start, end = _bounds(first, last, zone)
    cases = _cases(session, ids, zone)
    promises = _promises(session, ids, start, end)
    rows = Rows(
        calls=_calls(session, ids, start, end, zone),
        promises=promises,
        payments=_payments(session, ids, first),
        cases=cases,
        flags=_flags(session, ids, start, end, zone),
        complaints=_complaints(session, ids, start, end, zone),
    )
    return ProgressScope(teams, agents, rows)


def _dialled(ids: list[int], start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(
        CallAttempt.agent_id.in_(ids),
        CallAttempt.reserved_at >= start,
        CallAttempt.reserved_at < end,
        CallAttempt.status != AttemptStatus.BLOCKED,
    )


def _calls(
    session: Session, ids: list[int], start: datetime, end: datetime, zone: ZoneInfo
) -> list[CallRow]:
    owed = case((owes_note(), 1), else_=0)
    query = select(
        CallAttempt.agent_id,
        CallAttempt.case_id,
        CallAttempt.reserved_at,
        CallAttempt.answered_at,
        CallAttempt.ended_at,
        owed,
    ).where(_dialled(ids, start, end))
    found = []
    for agent_id, case_id, reserved, answered, ended, owes in session.execute(query):
        talk = (ended - answered).total_seconds() if answered and ended else 0.0
        found.append(
            CallRow(
                agent_id,
                case_id,
                reserved.astimezone(zone).date(),
                answered is not None,
                max(0.0, talk),
                bool(owes),
            )
        )
    return found


def _promises(session: Session, ids: list[int], start: datetime, end: datetime) -> list[PromiseRow]:
    query = select(
        CollectionNote.agent_id,
        CollectionNote.case_id,
        CollectionNote.promised_amount_cents,
        CollectionNote.promised_date,
        CollectionNote.created_at,
    ).where(
        CollectionNote.agent_id.in_(ids),
        CollectionNote.created_at >= start,
        CollectionNote.created_at < end,
        CollectionNote.promised_amount_cents.is_not(None),
        CollectionNote.promised_date.is_not(None),
    )
    return [
        PromiseRow(agent_id, case_id, amount, due, made)
        for agent_id, case_id, amount, due, made in session.execute(query)
        if amount and due
    ]


def _cases(session: Session, ids: list[int], zone: ZoneInfo) -> list[CaseRow]:
    first_dial = (
        select(func.min(CallAttempt.reserved_at))
        .where(CallAttempt.case_id == Case.id, CallAttempt.status != AttemptStatus.BLOCKED)
        .scalar_subquery()
    )
    query = select(
        Case.assigned_agent_id,
        Case.id,
        Case.account_no,
        Case.amount_overdue_cents,
        Case.imported_at,
        first_dial,
    ).where(Case.assigned_agent_id.in_(ids))
    return [
        CaseRow(
            agent_id,
            case_id,
            account,
            cents,
            imported.astimezone(zone).date(),
            _day(dialled, zone),
        )
        for agent_id, case_id, account, cents, imported, dialled in session.execute(query)
        if agent_id is not None  # it is: the ids asked for
    ]


def _day(moment: datetime | str | None, zone: ZoneInfo) -> date | None:
    """A stored instant as a day on the centre's clock (SQLite gives an aggregate as text)."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:  # stored in UTC, naive
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(zone).date()


def _payments(session: Session, ids: list[int], since: date) -> list[PaymentRow]:
    """Payments from ``since`` on the agents' cases and on the cases they had promises on."""
    held = select(Case.id).where(Case.assigned_agent_id.in_(ids))
    promised = select(CollectionNote.case_id).where(
        CollectionNote.agent_id.in_(ids), CollectionNote.promised_amount_cents.is_not(None)
    )
    query = select(Payment.case_id, Payment.amount_cents, Payment.paid_on).where(
        Payment.paid_on >= since, or_(Payment.case_id.in_(held), Payment.case_id.in_(promised))
    )
    return [PaymentRow(*row) for row in session.execute(query)]


def _flags(
    session: Session, ids: list[int], start: datetime, end: datetime, zone: ZoneInfo
) -> list[FlagRow]:
    """The conduct flags on the window's calls, each with QA's latest verdict (if any)."""
    query = (
        select(Flag.id, CallAttempt.agent_id, CallAttempt.reserved_at)
        .join(Recording, Recording.id == Flag.recording_id)
        .join(CallAttempt, CallAttempt.id == Recording.call_attempt_id)
        .where(_dialled(ids, start, end), Flag.category.not_in(CALLEE_EVENTS))
    )
    flags = {flag_id: (agent_id, at) for flag_id, agent_id, at in session.execute(query)}
    latest: dict[int, str] = {}
    if flags:
        verdicts = (
            select(ReviewVerdict.flag_id, ReviewVerdict.verdict)
            .where(ReviewVerdict.flag_id.in_(list(flags)))
            .order_by(ReviewVerdict.created_at, ReviewVerdict.id)
        )
        latest = {flag_id: verdict.value for flag_id, verdict in session.execute(verdicts)}
    return [
        FlagRow(
            agent_id,
            at.astimezone(zone).date(),
            (latest[flag_id],) if flag_id in latest else (),
        )
        for flag_id, (agent_id, at) in flags.items()
        if agent_id is not None  # it is: the ids asked for
    ]


def _complaints(
    session: Session, ids: list[int], start: datetime, end: datetime, zone: ZoneInfo
) -> list[ComplaintRow]:
    query = (
        select(Case.assigned_agent_id, Complaint.opened_at)
        .join(Case, Case.id == Complaint.case_id)
        .where(
            Case.assigned_agent_id.in_(ids),
            Complaint.opened_at >= start,
            Complaint.opened_at < end,
        )
    )
    return [
        ComplaintRow(agent_id, at.astimezone(zone).date())
        for agent_id, at in session.execute(query)
        if agent_id is not None
    ]
