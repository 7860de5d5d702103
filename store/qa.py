"""What QA inspectors (质检) read and write: the flag queue, verdicts, spot checks, reports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, Select, and_, exists, func, select, union
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.callee_events import COMPLAINT, DO_NOT_CALL
from store.enums import RecordingStatus, SpotCheckResult, Verdict
from store.models import (
    Agent,
    CallAttempt,
    Flag,
    Recording,
    ReviewVerdict,
    SpotCheck,
    User,
)

QUEUE_LIMIT = 500
CALLEE_EVENTS = (COMPLAINT, DO_NOT_CALL)


@dataclass(frozen=True)
class QueueFilter:
    category: str | None = None
    min_severity: int | None = None
    agent: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    unreviewed: bool = False


@dataclass(frozen=True)
class QueueRow:
    flag_id: int
    recording_id: int
    agent: str | None
    category: str
    severity: int
    speaker: str
    start_s: float
    evidence: str
    call_at: datetime
    verdict: Verdict | None


def _call_at() -> ColumnElement[datetime]:
    """When the call happened: answered, else dialled, else (a batch file) stored."""
    return func.coalesce(CallAttempt.answered_at, CallAttempt.reserved_at, Recording.created_at)


def _latest_verdict() -> ScalarSelect[Verdict]:
    return (
        select(ReviewVerdict.verdict)
        .where(ReviewVerdict.flag_id == Flag.id)
        .order_by(ReviewVerdict.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def flag_queue(session: Session, wanted: QueueFilter) -> list[QueueRow]:
    """Flags, newest call first, with the latest verdict on each (None: not reviewed)."""
    call_at = _call_at()
    verdict = _latest_verdict()
    query = (
        select(
            Flag.id,
            Flag.recording_id,
            Agent.code,
            Flag.category,
            Flag.severity,
            Flag.speaker,
            Flag.start_s,
            Flag.evidence,
            call_at,
            verdict,
        )
        .join(Recording, Recording.id == Flag.recording_id)
        .outerjoin(CallAttempt, CallAttempt.id == Recording.call_attempt_id)
        .outerjoin(Agent, Agent.id == CallAttempt.agent_id)
    )
    conditions: list[ColumnElement[bool]] = []
    if wanted.category:
        conditions.append(Flag.category == wanted.category)
    if wanted.min_severity is not None:
        conditions.append(Flag.severity >= wanted.min_severity)
    if wanted.agent:
        conditions.append(Agent.code == wanted.agent)
    if wanted.since is not None:
        conditions.append(call_at >= wanted.since)
    if wanted.until is not None:
        conditions.append(call_at < wanted.until)
    if wanted.unreviewed:
        conditions.append(~exists().where(ReviewVerdict.flag_id == Flag.id))
    rows = session.execute(
        query.where(and_(True, *conditions))
        .order_by(call_at.desc(), Flag.recording_id, Flag.start_s)
        .limit(QUEUE_LIMIT)
    ).all()
    return [QueueRow(*tuple(row)) for row in rows]


def give_verdict(  # noqa: PLR0917 (what a verdict is made of)
    session: Session, flag_id: int, reviewer: User, verdict: Verdict, note: str, now: datetime
) -> ReviewVerdict:
    """Record a verdict; an earlier one on the same flag stays in the history."""
    if session.get(Flag, flag_id) is None:
        raise LookupError(f"flag {flag_id} not found")
    row = ReviewVerdict(
        flag_id=flag_id, reviewer_id=reviewer.id, verdict=verdict, note=note, created_at=now
    )
    session.add(row)
    record_audit(
        session,
        reviewer.username,
        "qa.verdict",
        object_type="flag",
        object_id=str(flag_id),
        detail={"verdict": verdict.value},
    )
    return row


def spot_draw(sha256: str) -> float:
    """A call's ticket for spot checks, uniform in [0, 1) and fixed by its content.

    Stored with the recording, so the sample (``spot_draw < rate``) is one indexed
    query and the same calls stay drawn whatever the rate was when they arrived.
    """
    return int(sha256[:13], 16) / 16**13


def spot_check_sample(
    session: Session, rate: float, limit: int = QUEUE_LIMIT
) -> list[tuple[Recording, SpotCheck | None]]:
    """Transcribed calls with no flag that the sample draws, newest first, with their review."""
    rows = session.execute(
        select(Recording, SpotCheck)
        .outerjoin(SpotCheck, SpotCheck.recording_id == Recording.id)
        .where(
            Recording.status == RecordingStatus.TRANSCRIBED,
            Recording.spot_draw < rate,
            ~exists().where(Flag.recording_id == Recording.id),
        )
        .order_by(Recording.id.desc())
        .limit(limit)
    )
    return [(rec, check) for rec, check in rows]


def record_spot_check(  # noqa: PLR0917 (what a review is made of)
    session: Session,
    recording_id: int,
    reviewer: User,
    result: SpotCheckResult,
    note: str,
    now: datetime,
) -> None:
    check = session.scalar(select(SpotCheck).where(SpotCheck.recording_id == recording_id))
    if check is None:
        check = SpotCheck(recording_id=recording_id, reviewer_id=reviewer.id)
        session.add(check)
    check.reviewer_id, check.result, check.note, check.created_at = reviewer.id, result, note, now
    record_audit(
        session,
        reviewer.username,
        "qa.spot_check",
        object_type="recording",
        object_id=str(recording_id),
        detail={"result": result.value},
    )


@dataclass
class AgentReport:
    agent: str
    calls: int = 0
    flags: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    calls_reviewed: int = 0

    @property
    def flag_total(self) -> int:
        return sum(self.flags.values())


def agent_reports(
    session: Session, since: datetime | None, until: datetime | None
) -> list[AgentReport]:
    """Per agent: calls recorded, flags by category, verdicts given, calls reviewed.

    Counted by the database (GROUP BY), so a year of calls costs one row per agent
    and category, not one per call.
    """
    call_at = _call_at()
    agent = func.coalesce(Agent.code, "—")
    window: list[ColumnElement[bool]] = []
    if since is not None:
        window.append(call_at >= since)
    if until is not None:
        window.append(call_at < until)

    def per_agent(*columns: Any) -> Select[Any]:
        return (
            select(agent, *columns)
            .select_from(Recording)
            .outerjoin(CallAttempt, CallAttempt.id == Recording.call_attempt_id)
            .outerjoin(Agent, Agent.id == CallAttempt.agent_id)
            .where(and_(True, *window))
        )

    reports: dict[str, AgentReport] = {}

    def report(name: str) -> AgentReport:
        return reports.setdefault(name, AgentReport(name))

    for name, calls in session.execute(per_agent(func.count(Recording.id)).group_by(agent)):
        report(name).calls = calls
    # Callee events (a complaint, a "don't call") say nothing about the agent's conduct.
    conduct = per_agent(Flag.category, Flag.recording_id, _latest_verdict().label("verdict"))
    conduct = conduct.join(Flag, Flag.recording_id == Recording.id).where(
        Flag.category.not_in(CALLEE_EVENTS)
    )
    flags = conduct.subquery()
    for name, category, count in session.execute(
        select(flags.c[0], flags.c.category, func.count()).group_by(flags.c[0], flags.c.category)
    ):
        report(name).flags[category] = count
    for name, verdict, count in session.execute(
        select(flags.c[0], flags.c.verdict, func.count())
        .where(flags.c.verdict.is_not(None))
        .group_by(flags.c[0], flags.c.verdict)
    ):
        report(name).verdicts[str(verdict)] = count
    judged = select(flags.c[0], flags.c.recording_id).where(flags.c.verdict.is_not(None))
    checked = per_agent(Recording.id).join(SpotCheck, SpotCheck.recording_id == Recording.id)
    reviewed = union(judged, checked).subquery()
    for name, count in session.execute(
        select(reviewed.c[0], func.count(func.distinct(reviewed.c[1]))).group_by(reviewed.c[0])
    ):
        report(name).calls_reviewed = count
    return sorted(reports.values(), key=lambda r: (-r.flag_total, r.agent))


def categories_in(reports: Sequence[AgentReport]) -> list[str]:
    return sorted({category for r in reports for category in r.flags})


ATTENTION_LIMIT = 200


def recordings_needing_attention(session: Session, limit: int = ATTENTION_LIMIT) -> list[Recording]:
    """Recordings QA must see besides flags: those that could not be used (``failed``, with the
    reason) and those whose audio was recovered past a stale header; newest first."""
    return list(
        session.scalars(
            select(Recording)
            .where(
                (Recording.status == RecordingStatus.FAILED) | Recording.repair_note.is_not(None)
            )
            .order_by(Recording.created_at.desc(), Recording.id.desc())
            .limit(limit)
        )
    )
