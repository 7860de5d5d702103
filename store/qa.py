"""What QA inspectors (质检) read and write: the flag queue, verdicts, spot checks, reports."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, and_, exists, func, select
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


def is_sampled(sha256: str, seed: str, rate: float) -> bool:
    """Whether a call is drawn for a spot check: stable across restarts, uniform in ``rate``."""
    digest = hashlib.sha256(f"{seed}:{sha256}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def spot_check_sample(
    session: Session, seed: str, rate: float, limit: int = QUEUE_LIMIT
) -> list[tuple[Recording, SpotCheck | None]]:
    """Transcribed calls with no flag that the sample draws, with their review if any."""
    rows = session.execute(
        select(Recording, SpotCheck)
        .outerjoin(SpotCheck, SpotCheck.recording_id == Recording.id)
        .where(
            Recording.status == RecordingStatus.TRANSCRIBED,
            ~exists().where(Flag.recording_id == Recording.id),
        )
        .order_by(Recording.id.desc())
    )
    drawn: list[tuple[Recording, SpotCheck | None]] = [
        (rec, check) for rec, check in rows if is_sampled(rec.sha256, seed, rate)
    ]
    return drawn[:limit]


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
    """Per agent: calls recorded, flags by category, verdicts given, calls reviewed."""
    call_at = _call_at()
    window: list[ColumnElement[bool]] = []
    if since is not None:
        window.append(call_at >= since)
    if until is not None:
        window.append(call_at < until)
    base = (
        select(Recording.id, func.coalesce(Agent.code, "—"))
        .outerjoin(CallAttempt, CallAttempt.id == Recording.call_attempt_id)
        .outerjoin(Agent, Agent.id == CallAttempt.agent_id)
        .where(and_(True, *window))
    )
    agent_of = dict(session.execute(base).all())
    in_window = base.with_only_columns(Recording.id)
    reports: dict[str, AgentReport] = {}

    def report(agent: str) -> AgentReport:
        return reports.setdefault(agent, AgentReport(agent))

    for agent in agent_of.values():
        report(agent).calls += 1
    reviewed: defaultdict[str, set[int]] = defaultdict(set)
    # Callee events (a complaint, a "don't call") say nothing about the agent's conduct.
    flags = session.execute(
        select(Flag.recording_id, Flag.category, _latest_verdict()).where(
            Flag.recording_id.in_(in_window), Flag.category.not_in(CALLEE_EVENTS)
        )
    ).all()
    for recording_id, category, verdict in flags:
        agent = agent_of[recording_id]
        report(agent).flags[category] += 1
        if verdict is not None:
            report(agent).verdicts[str(verdict)] += 1
            reviewed[agent].add(recording_id)
    checked = session.scalars(
        select(SpotCheck.recording_id).where(SpotCheck.recording_id.in_(in_window))
    ).all()
    for recording_id in checked:
        reviewed[agent_of[recording_id]].add(recording_id)
    for agent, ids in reviewed.items():
        report(agent).calls_reviewed = len(ids)
    return sorted(reports.values(), key=lambda r: (-r.flag_total, r.agent))


def categories_in(reports: Sequence[AgentReport]) -> list[str]:
    return sorted({category for r in reports for category in r.flags})
