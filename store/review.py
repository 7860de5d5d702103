"""The "listen to this" queue (待复听): weak sound matches a person decides on.

A review item is not a flag: it lives in its own table, so the flag queue, the
reports, the exports and the callee events (holds, do-not-call) never see it.
When QA hears a violation, ``promote`` makes exactly one flag of it (its
``match_kind`` says a person made it) and applies what a detector flag would
have; ``dismiss`` closes it. Both are audit-logged with who.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.callee_events import EventsApplied, apply_callee_events
from store.enums import ReviewStatus
from store.errors import ReviewClosed
from store.models import Agent, CallAttempt, Flag, Recording, ReviewItem
from store.said import N_

QUEUE_LIMIT = 500
PROMOTED_MATCH = "qa"
"""``flag.match_kind`` of a flag that a person made from a review item."""


@dataclass(frozen=True)
class ReviewFilter:
    category: str | None = None
    agent: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    status: ReviewStatus | None = ReviewStatus.OPEN
    """None: every item, whatever became of it."""


@dataclass(frozen=True)
class ReviewRow:
    item_id: int
    recording_id: int
    agent: str | None
    category: str
    rule_id: str
    speaker: str
    start_s: float
    end_s: float
    evidence: str
    match_start: int
    match_end: int
    cost: float
    call_at: datetime
    status: ReviewStatus

    @property
    def heard(self) -> str:
        return self.evidence[self.match_start : self.match_end]


def _call_at() -> ColumnElement[datetime]:
    return func.coalesce(CallAttempt.answered_at, CallAttempt.reserved_at, Recording.created_at)


def review_queue(session: Session, wanted: ReviewFilter) -> list[ReviewRow]:
    """Review items, newest call first, then by time in the call."""
    call_at = _call_at()
    query = (
        select(
            ReviewItem.id,
            ReviewItem.recording_id,
            Agent.code,
            ReviewItem.category,
            ReviewItem.rule_id,
            ReviewItem.speaker,
            ReviewItem.start_s,
            ReviewItem.end_s,
            ReviewItem.evidence,
            ReviewItem.match_start,
            ReviewItem.match_end,
            ReviewItem.cost,
            call_at,
            ReviewItem.status,
        )
        .join(Recording, Recording.id == ReviewItem.recording_id)
        .outerjoin(CallAttempt, CallAttempt.id == Recording.call_attempt_id)
        .outerjoin(Agent, Agent.id == CallAttempt.agent_id)
    )
    conditions: list[ColumnElement[bool]] = []
    if wanted.category:
        conditions.append(ReviewItem.category == wanted.category)
    if wanted.agent:
        conditions.append(Agent.code == wanted.agent)
    if wanted.since is not None:
        conditions.append(call_at >= wanted.since)
    if wanted.until is not None:
        conditions.append(call_at < wanted.until)
    if wanted.status is not None:
        conditions.append(ReviewItem.status == wanted.status)
    rows = session.execute(
        query.where(and_(True, *conditions))
        .order_by(call_at.desc(), ReviewItem.recording_id, ReviewItem.start_s)
        .limit(QUEUE_LIMIT)
    ).all()
    return [ReviewRow(*tuple(row)) for row in rows]


def _open_item(session: Session, item_id: int) -> ReviewItem:
    # Locked, so two inspectors clicking at once make one flag, not two (PostgreSQL;
    # SQLite has one writer anyway).
    item = session.get(ReviewItem, item_id, with_for_update=True)
    if item is None:
        raise LookupError(f"review item {item_id} not found")
    if item.status is not ReviewStatus.OPEN:
        raise ReviewClosed(N_("待复听语句 %(item)s 已处理过了"), item=item_id)
    return item


def promote(
    session: Session, item_id: int, actor: str, note: str, now: datetime
) -> tuple[Flag, EventsApplied]:
    """Make the item a flag, as if the detector had raised it, and close the item."""
    item = _open_item(session, item_id)
    flag = Flag(
        recording_id=item.recording_id,
        category=item.category,
        severity=item.severity,
        speaker=item.speaker,
        start_s=item.start_s,
        end_s=item.end_s,
        evidence=item.evidence,
        rule_id=item.rule_id,
        detector_version=item.detector_version,
        match_start=item.match_start,
        match_end=item.match_end,
        match_kind=PROMOTED_MATCH,
        created_at=now,
    )
    session.add(flag)
    session.flush()
    _close(item, ReviewStatus.PROMOTED, actor, note, now)
    item.flag_id = flag.id
    record_audit(
        session,
        actor,
        "qa.review.promote",
        object_type="review_item",
        object_id=str(item.id),
        detail={"flag_id": flag.id, "category": item.category, "note": note},
    )
    # A complaint or a "don't call" a person heard stops the case or number, as the
    # detector's would have.
    recording = session.get_one(Recording, item.recording_id)
    attempt = (
        session.get(CallAttempt, recording.call_attempt_id) if recording.call_attempt_id else None
    )
    return flag, apply_callee_events(session, attempt, [flag], now)


def dismiss(session: Session, item_id: int, actor: str, note: str, now: datetime) -> ReviewItem:
    """QA listened and heard nothing wrong."""
    item = _open_item(session, item_id)
    _close(item, ReviewStatus.DISMISSED, actor, note, now)
    record_audit(
        session,
        actor,
        "qa.review.dismiss",
        object_type="review_item",
        object_id=str(item.id),
        detail={"category": item.category, "note": note},
    )
    return item


def _close(item: ReviewItem, status: ReviewStatus, actor: str, note: str, now: datetime) -> None:
    item.status, item.resolved_by, item.resolved_at, item.note = status, actor, now, note


def review_seconds(session: Session) -> tuple[int, float]:
    """(recordings transcribed, seconds of audio the queue asks QA to hear); an utterance with
    two weak matches is heard once."""
    spans = (
        select(ReviewItem.recording_id, ReviewItem.start_s, ReviewItem.end_s).distinct().subquery()
    )
    seconds = session.scalar(select(func.coalesce(func.sum(spans.c.end_s - spans.c.start_s), 0)))
    calls = session.scalar(
        select(func.count()).select_from(Recording).where(Recording.transcribed_at.is_not(None))
    )
    return int(calls or 0), float(seconds or 0)
