"""The reverse audit (倒查) in the database: each month's draw with the collectors it audits
and the cases drawn, QA's verdicts on them, and the findings per collector and month.

The ranking itself is computed, never stored (:mod:`compliance.ranking` over team
progress's figures); a draw keeps each audited collector's position as it was then.
Who sees a sample is :mod:`store.scope`'s rule applied to its collector. Every change is
audit-logged in the caller's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.ranking import Findings, findings
from store.audit import record_audit
from store.enums import AttemptStatus, RecordingStatus
from store.models import (
    Agent,
    AuditDraw,
    AuditSample,
    AuditSubject,
    CallAttempt,
    Case,
    CollectionNote,
    Recording,
)
from store.scope import Viewer, visible_agents


@dataclass(frozen=True)
class Subject:
    """An audited collector as a draw is made of them."""

    agent_id: int
    position: int
    score: float
    candidates: int
    cases: list[tuple[int, str]]
    """(case id, ticket), in the draw's order."""


@dataclass(frozen=True)
class NewDraw:
    month: date
    seed: str
    bottom_n: int
    per_agent: int
    ranked: int
    measures: list[Any]
    subjects: list[Subject]


def _bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(first, time(0), tzinfo=zone)
    return start, datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)


def audit_candidates(
    session: Session, agent_id: int, first: date, last: date, zone: ZoneInfo
) -> list[int]:
    """The cases a reverse audit may draw for ``agent_id`` in [first, last]: those with a
    note the agent wrote in the period after a call of theirs that was recorded (a case
    with no recording, or no note, gives QA nothing to compare). By case id."""
    start, end = _bounds(first, last, zone)
    query = (
        select(CollectionNote.case_id)
        .join(CallAttempt, CallAttempt.id == CollectionNote.call_attempt_id)
        .join(Recording, Recording.call_attempt_id == CallAttempt.id)
        .where(
            CollectionNote.agent_id == agent_id,
            CallAttempt.agent_id == agent_id,
            CollectionNote.created_at >= start,
            CollectionNote.created_at < end,
            Recording.status != RecordingStatus.FAILED,
        )
        .distinct()
    )
    return sorted(session.scalars(query))


def find_draw(session: Session, month: date) -> AuditDraw | None:
    return session.scalar(select(AuditDraw).where(AuditDraw.month == month))


def save_draw(session: Session, new: NewDraw, actor: str, now: datetime) -> AuditDraw:
    """Store a month's draw (the caller has checked there is none) and audit-log it."""
    draw = AuditDraw(
        month=new.month,
        seed=new.seed,
        bottom_n=new.bottom_n,
        per_agent=new.per_agent,
        ranked=new.ranked,
        measures=new.measures,
        drawn_by=actor,
        drawn_at=now,
    )
    session.add(draw)
    session.flush()
    for subject in new.subjects:
        row = AuditSubject(
            draw_id=draw.id,
            agent_id=subject.agent_id,
            position=subject.position,
            score=subject.score,
            candidates=subject.candidates,
        )
        session.add(row)
        session.flush()
        for case_id, ticket in subject.cases:
            session.add(AuditSample(subject_id=row.id, case_id=case_id, ticket=ticket, remark=""))
    session.flush()
    record_audit(
        session,
        actor,
        "reverse_audit.draw",
        object_type="audit_draw",
        object_id=str(draw.id),
        detail={
            "month": new.month.isoformat()[:7],
            "agents": [s.agent_id for s in new.subjects],
            "cases": sum(len(s.cases) for s in new.subjects),
        },
    )
    return draw


@dataclass(frozen=True)
class SampleRow:
    sample: AuditSample
    subject: AuditSubject
    draw: AuditDraw
    agent: Agent
    case: Case


def _sample_query() -> Any:
    return (
        select(AuditSample, AuditSubject, AuditDraw, Agent, Case)
        .join(AuditSubject, AuditSubject.id == AuditSample.subject_id)
        .join(AuditDraw, AuditDraw.id == AuditSubject.draw_id)
        .join(Agent, Agent.id == AuditSubject.agent_id)
        .join(Case, Case.id == AuditSample.case_id)
    )


def sample_rows(session: Session, viewer: Viewer, month: date | None = None) -> list[SampleRow]:
    """The drawn cases ``viewer`` may see (of ``month``, or every month), newest month
    first, then by the collector's position and the draw's order."""
    query = _sample_query().where(visible_agents(viewer))
    if month is not None:
        query = query.where(AuditDraw.month == month)
    query = query.order_by(
        AuditDraw.month.desc(), AuditSubject.position, AuditSample.ticket, AuditSample.id
    )
    return [SampleRow(*row) for row in session.execute(query)]


def visible_sample(session: Session, viewer: Viewer, sample_id: int) -> SampleRow | None:
    """The drawn case if ``viewer`` may see its collector; None as for one that does not exist."""
    row = session.execute(
        _sample_query().where(AuditSample.id == sample_id, visible_agents(viewer))
    ).first()
    return SampleRow(*row) if row else None


@dataclass(frozen=True)
class Evidence:
    """What QA compares: the collector's notes on the case in the month (with the class
    they gave), and the recordings of their calls on it in the month."""

    notes: list[CollectionNote]
    recordings: list[tuple[Recording, CallAttempt]]


def evidence(session: Session, row: SampleRow, zone: ZoneInfo) -> Evidence:
    first = row.draw.month
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    start, end = _bounds(first, last, zone)
    agent_id, case_id = row.agent.id, row.case.id
    notes = session.scalars(
        select(CollectionNote)
        .where(
            CollectionNote.agent_id == agent_id,
            CollectionNote.case_id == case_id,
            CollectionNote.created_at >= start,
            CollectionNote.created_at < end,
        )
        .order_by(CollectionNote.created_at, CollectionNote.id)
    ).all()
    recordings = session.execute(
        select(Recording, CallAttempt)
        .join(CallAttempt, CallAttempt.id == Recording.call_attempt_id)
        .where(
            CallAttempt.agent_id == agent_id,
            CallAttempt.case_id == case_id,
            CallAttempt.reserved_at >= start,
            CallAttempt.reserved_at < end,
            CallAttempt.status != AttemptStatus.BLOCKED,
        )
        .order_by(CallAttempt.reserved_at, Recording.id)
    ).all()
    return Evidence(list(notes), [(r, a) for r, a in recordings])


def record_verdict(  # noqa: PLR0917 (what a verdict is made of)
    session: Session,
    sample: AuditSample,
    class_matches: bool,
    notes_match: bool,
    remark: str,
    actor: str,
    now: datetime,
) -> None:
    """QA's two verdicts on a drawn case; a later one replaces it, the audit log keeps all."""
    sample.class_matches = class_matches
    sample.notes_match = notes_match
    sample.remark = remark
    sample.reviewed_by = actor
    sample.reviewed_at = now
    record_audit(
        session,
        actor,
        "reverse_audit.verdict",
        object_type="audit_sample",
        object_id=str(sample.id),
        detail={
            "case": sample.case_id,
            "class_matches": class_matches,
            "notes_match": notes_match,
            "remark": remark,
        },
    )


def month_findings(session: Session, month: date) -> dict[int, tuple[AuditSubject, Findings]]:
    """Per audited collector of ``month``'s draw: their row and what QA found so far."""
    subjects = session.scalars(
        select(AuditSubject)
        .join(AuditDraw, AuditDraw.id == AuditSubject.draw_id)
        .where(AuditDraw.month == month)
    ).all()
    verdicts: dict[int, list[tuple[bool | None, bool | None]]] = defaultdict(list)
    if subjects:
        query = select(
            AuditSample.subject_id, AuditSample.class_matches, AuditSample.notes_match
        ).where(AuditSample.subject_id.in_([s.id for s in subjects]))
        for subject_id, class_ok, notes_ok in session.execute(query):
            verdicts[subject_id].append((class_ok, notes_ok))
    return {s.agent_id: (s, findings(verdicts[s.id])) for s in subjects}
