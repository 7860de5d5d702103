"""Live results: utterances stored as they are heard, and what a live hit does at once.

The action table is data (``[live.actions]`` in the settings): per detector
category, a list of actions. ``alert`` is a ``live_alert`` row (the wallboard
reads them); ``hold_case`` and ``do_not_call`` reuse the post-call code in
:mod:`store.callee_events`, so a complaint heard live and flagged again after
the call is one hold. ``whisper_prompt`` is carried out by the follower after the
hit's transaction commits (an AMI Originate must not run inside it), and recorded
with :func:`record_prompt`; ``barge`` is the lead's to choose on the wallboard, and is
recorded on the alert as not carried out here.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.callee_events import block_number, hold_for_complaint
from store.enums import Speaker
from store.models import CallAttempt, LiveAlert, LiveCall, LiveUtterance

ACTOR = "live"
DONE_HERE = ("alert", "hold_case", "do_not_call")


@dataclass(frozen=True)
class Heard:
    speaker: str
    """agent | callee."""
    start_s: float
    end_s: float
    text: str
    avg_logprob: float | None
    partial: bool


@dataclass(frozen=True)
class LiveHit:
    category: str
    rule_id: str
    speaker: str
    start_s: float
    evidence: str
    """The utterance that fired, as heard."""


@dataclass(frozen=True)
class ActionsTaken:
    alert_id: int | None
    hold_id: int | None
    do_not_call: bool
    not_done: tuple[str, ...]
    """Configured actions not carried out (barge; whisper_prompt without a prompt set up)."""
    alert_row: int = 0
    """The ``live_alert`` row written for the hit (also without the ``alert`` action)."""


def store_heard(session: Session, attempt_id: int, heard: Heard, now: datetime) -> int:
    row = LiveUtterance(
        call_attempt_id=attempt_id,
        speaker=Speaker(heard.speaker),
        start_s=heard.start_s,
        end_s=heard.end_s,
        text=heard.text,
        avg_logprob=heard.avg_logprob,
        partial=heard.partial,
        stored_at=now,
    )
    session.add(row)
    session.flush()
    return row.id


def act_on_hit(  # noqa: PLR0917 (the hit, and what to do about it)
    session: Session,
    attempt_id: int,
    hit: LiveHit,
    actions: Sequence[str],
    now: datetime,
    after_commit: Collection[str] = (),
) -> ActionsTaken:
    """Carry out ``actions`` for one hit, each audit-logged with the utterance behind it;
    those in ``after_commit`` the caller carries out once this transaction is committed."""
    attempt = session.get(CallAttempt, attempt_id)
    if attempt is None:
        raise ValueError(f"call attempt {attempt_id}: not found")
    said = {"call_attempt_id": attempt_id, "utterance": hit.evidence, "start_s": hit.start_s}
    alert = LiveAlert(
        call_attempt_id=attempt_id,
        category=hit.category,
        speaker=Speaker(hit.speaker),
        start_s=hit.start_s,
        evidence=hit.evidence,
        rule_id=hit.rule_id,
        actions=list(actions),
        created_at=now,
    )
    session.add(alert)
    session.flush()
    said["live_alert_id"] = alert.id
    hold_id = None
    if "hold_case" in actions:
        # as a post-call flag's hold says it; placed_by ("live") tells it came during the call
        detail = f"{hit.start_s:.1f}s: {hit.evidence}"
        hold_id = hold_for_complaint(
            session, attempt.case_id, detail, now, ACTOR, source_flag_id=None, audit=said
        )
    blocked = "do_not_call" in actions and block_number(
        session, attempt, hit.evidence, now, ACTOR, None, said
    )
    not_done = tuple(a for a in actions if a not in DONE_HERE and a not in after_commit)
    record_audit(
        session,
        ACTOR,
        "live.alert",
        object_type="call_attempt",
        object_id=str(attempt_id),
        detail={**said, "category": hit.category, "rule_id": hit.rule_id, "not_done": not_done},
    )
    return ActionsTaken(
        alert.id if "alert" in actions else None, hold_id, blocked, not_done, alert.id
    )


def record_prompt(
    session: Session, attempt_id: int, hit: LiveHit, alert_row: int, refused: str | None
) -> None:
    """The whisper prompt for one hit: played to the agent, or why it could not be."""
    record_audit(
        session,
        ACTOR,
        "live.whisper_prompt",
        object_type="call_attempt",
        object_id=str(attempt_id),
        detail={
            "call_attempt_id": attempt_id,
            "utterance": hit.evidence,
            "start_s": hit.start_s,
            "live_alert_id": alert_row,
            "placed": refused is None,
            "refused": refused,
        },
    )


def heard_whole(session: Session, attempt_id: int, now: datetime) -> None:
    """The follower heard the call to its end: its live transcript is the whole call."""
    if session.get(LiveCall, attempt_id) is None:
        session.add(LiveCall(call_attempt_id=attempt_id, finished_at=now))


def whole_live_transcript(session: Session, attempt_id: int) -> list[LiveUtterance] | None:
    """The call's live utterances in time order, when the follower heard all of it; else None."""
    if session.get(LiveCall, attempt_id) is None:
        return None
    query = select(LiveUtterance).where(LiveUtterance.call_attempt_id == attempt_id)
    return list(session.scalars(query.order_by(LiveUtterance.start_s, LiveUtterance.speaker)))
