"""One recorded call as people read it: the view that ``callwarden calls show`` prints and
the QA call page renders, built by one function (``call_view``) so the two cannot disagree.

Reads only: ``call_view`` runs selects in the caller's session and writes nothing; what it
returns is frozen values, detached from the session. ``flag_line``, the rule for which
transcript line a flag marks, is pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.contacts import contact_type
from store.enums import RecordingStatus, ReviewStatus, Speaker, SpotCheckResult, Verdict
from store.models import (
    Agent,
    CallAttempt,
    Case,
    DoNotCall,
    Flag,
    Hold,
    Recording,
    ReviewItem,
    ReviewVerdict,
    SpotCheck,
    User,
    Utterance,
)


@dataclass(frozen=True)
class RecordingView:
    id: int
    sha256: str
    status: RecordingStatus
    duration_s: float | None
    error: str | None
    repair_note: str | None
    """Why the audio was read past its WAV header (a killed Asterisk's file), if it was."""
    created_at: datetime


@dataclass(frozen=True)
class AttemptView:
    """The dial this recording is of; a batch import's recording has none."""

    id: int
    e164: str
    phone_number_id: int | None
    case_id: int
    account_no: str
    agent_code: str | None
    reserved_at: datetime
    answered_at: datetime | None


@dataclass(frozen=True)
class UtteranceView:
    id: int
    speaker: Speaker
    start_s: float
    end_s: float
    """Seconds from the start of the call."""
    text: str
    confidence: float | None
    alternatives: tuple[str, ...]
    """Other texts the recogniser found likely, best first (none stored: empty)."""


@dataclass(frozen=True)
class VerdictView:
    verdict: Verdict
    reviewer: str
    note: str
    created_at: datetime


@dataclass(frozen=True)
class FlagView:
    id: int
    category: str
    rule_id: str
    severity: int
    speaker: Speaker
    start_s: float
    end_s: float
    evidence: str
    """The text of the utterance the detector raised it on."""
    match_start: int | None
    match_end: int | None
    detector_version: str
    verdicts: tuple[VerdictView, ...]
    """Oldest first."""
    line: int | None
    """The transcript line it marks (``flag_line``), by position; None when none does."""

    @property
    def matched(self) -> str:
        """The words that fired the rule, when the detector said which."""
        start, end = self.match_start, self.match_end
        return self.evidence[start:end] if start is not None and end is not None else ""

    @property
    def latest(self) -> VerdictView | None:
        return self.verdicts[-1] if self.verdicts else None


@dataclass(frozen=True)
class Line:
    """One transcript line and the flags that mark it."""

    utterance: UtteranceView
    flags: tuple[FlagView, ...]

    @property
    def segments(self) -> list[tuple[str, bool]]:
        """The text cut into (piece, fired) so a page can mark exactly what fired.

        A flag without a stored span (an older detector) marks the whole line.
        """
        text = self.utterance.text
        marked = [False] * len(text)
        for flag in self.flags:
            start, end = flag.match_start, flag.match_end
            if start is None or end is None or not 0 <= start < end <= len(text):
                start, end = 0, len(text)
            marked[start:end] = [True] * (end - start)
        pieces: list[tuple[str, bool]] = []
        for char, fired in zip(text, marked, strict=True):
            if pieces and pieces[-1][1] == fired:
                pieces[-1] = (pieces[-1][0] + char, fired)
            else:
                pieces.append((char, fired))
        return pieces


@dataclass(frozen=True)
class ReviewItemView:
    """A weak match for QA to listen to: not a flag, shown apart from the flags."""

    id: int
    category: str
    rule_id: str
    speaker: Speaker
    start_s: float
    end_s: float
    evidence: str
    match_start: int
    match_end: int
    cost: float
    status: ReviewStatus
    resolved_by: str | None
    resolved_at: datetime | None
    note: str
    flag_id: int | None

    @property
    def heard(self) -> str:
        """What sounded like the rule's phrase."""
        return self.evidence[self.match_start : self.match_end]


@dataclass(frozen=True)
class SpotCheckView:
    result: SpotCheckResult
    note: str
    created_at: datetime


@dataclass(frozen=True)
class CalleeEvent:
    """What one of this call's flags did to the schedule (``store.callee_events``)."""

    kind: Literal["hold", "do_not_call"]
    flag_id: int
    at: datetime
    by: str
    detail: str
    cleared_at: datetime | None
    """When someone lifted the hold; a do-not-call entry is never lifted here."""


@dataclass(frozen=True)
class CallView:
    recording: RecordingView
    attempt: AttemptView | None
    contact_type: str
    call_at: datetime
    """When the call was answered (else reserved); a batch file's: when it was stored."""
    lines: tuple[Line, ...]
    flags: tuple[FlagView, ...]
    """In the order they were said."""
    review: tuple[ReviewItemView, ...]
    spot_check: SpotCheckView | None
    callee_events: tuple[CalleeEvent, ...]


TOUCH_S = 0.01
"""How far apart a flag's span and a line may lie and still touch: the stores' rounding."""


def flag_line(
    speaker: Speaker, start: float, end: float, lines: Sequence[UtteranceView]
) -> int | None:
    """The one line a flag marks: its speaker's line that overlaps [start, end] most.

    The detector raises each flag on one utterance, with that utterance's span, text
    (``evidence``) and character offsets: so a flag has exactly one line, and its offsets
    mean nothing on any other. Overlap finds that line when stored times drift by rounding
    (matching a start rounded to 2 places does not: 6.004999 and 6.005001 round apart), and
    it never picks the neighbour that merely ends where the flag starts (transcript lines
    adjoin; "touches" would mark both). A span across lines (an older or hand-made flag)
    goes to the line it covers most; ties go to the line starting nearest the flag's start,
    then the earlier, then the lower id, so both views and every run agree.
    """
    best: tuple[float, float, float, int] | None = None
    found = None
    for index, line in enumerate(lines):
        if line.speaker != speaker:
            continue
        overlap = min(end, line.end_s) - max(start, line.start_s)
        if overlap < -TOUCH_S:
            continue
        key = (-overlap, abs(line.start_s - start), line.start_s, line.id)
        if best is None or key < best:
            best, found = key, index
    return found


def call_view(session: Session, recording_id: int) -> CallView | None:
    """One recorded call, or None where no recording has this id.

    Keyed on the recording, not the attempt: a batch import's recording has no attempt,
    and both ``calls show`` and the QA pages name calls by recording.
    """
    row = session.get(Recording, recording_id)
    if row is None:
        return None
    attempt = _attempt(session, row.call_attempt_id) if row.call_attempt_id else None
    utterances = _utterances(session, recording_id)
    flags = _flags(session, recording_id, utterances)
    lines = tuple(
        Line(u, tuple(f for f in flags if f.line == index)) for index, u in enumerate(utterances)
    )
    spot = session.scalar(select(SpotCheck).where(SpotCheck.recording_id == recording_id))
    return CallView(
        recording=RecordingView(
            row.id,
            row.sha256,
            row.status,
            row.duration_s,
            row.error,
            row.repair_note,
            row.created_at,
        ),
        attempt=attempt,
        contact_type=contact_type(session, row),
        call_at=(attempt.answered_at or attempt.reserved_at) if attempt else row.created_at,
        lines=lines,
        flags=flags,
        review=_review(session, recording_id),
        spot_check=SpotCheckView(spot.result, spot.note, spot.created_at) if spot else None,
        callee_events=_callee_events(session, [f.id for f in flags]),
    )


def _attempt(session: Session, attempt_id: int) -> AttemptView:
    attempt = session.get_one(CallAttempt, attempt_id)
    agent = session.get(Agent, attempt.agent_id) if attempt.agent_id else None
    return AttemptView(
        id=attempt.id,
        e164=attempt.e164,
        phone_number_id=attempt.phone_number_id,
        case_id=attempt.case_id,
        account_no=session.get_one(Case, attempt.case_id).account_no,
        agent_code=agent.code if agent else None,
        reserved_at=attempt.reserved_at,
        answered_at=attempt.answered_at,
    )


def _utterances(session: Session, recording_id: int) -> list[UtteranceView]:
    rows = session.scalars(
        select(Utterance)
        .where(Utterance.recording_id == recording_id)
        .order_by(Utterance.start_s, Utterance.id)
    )
    return [
        UtteranceView(
            u.id, u.speaker, u.start_s, u.end_s, u.text, u.confidence, tuple(u.alternatives or ())
        )
        for u in rows
    ]


def _flags(
    session: Session, recording_id: int, utterances: list[UtteranceView]
) -> tuple[FlagView, ...]:
    rows = session.scalars(
        select(Flag)
        .where(Flag.recording_id == recording_id)
        .order_by(Flag.start_s, Flag.category, Flag.id)
    ).all()
    verdicts: dict[int, list[VerdictView]] = {row.id: [] for row in rows}
    for verdict, reviewer in session.execute(
        select(ReviewVerdict, User.username)
        .join(User, User.id == ReviewVerdict.reviewer_id)
        .where(ReviewVerdict.flag_id.in_(verdicts))
        .order_by(ReviewVerdict.id)
    ):
        verdicts[verdict.flag_id].append(
            VerdictView(verdict.verdict, reviewer, verdict.note, verdict.created_at)
        )
    return tuple(
        FlagView(
            id=f.id,
            category=f.category,
            rule_id=f.rule_id,
            severity=f.severity,
            speaker=f.speaker,
            start_s=f.start_s,
            end_s=f.end_s,
            evidence=f.evidence,
            match_start=f.match_start,
            match_end=f.match_end,
            detector_version=f.detector_version,
            verdicts=tuple(verdicts[f.id]),
            line=flag_line(f.speaker, f.start_s, f.end_s, utterances),
        )
        for f in rows
    )


def _review(session: Session, recording_id: int) -> tuple[ReviewItemView, ...]:
    rows = session.scalars(
        select(ReviewItem)
        .where(ReviewItem.recording_id == recording_id)
        .order_by(ReviewItem.start_s, ReviewItem.id)
    )
    return tuple(
        ReviewItemView(
            id=r.id,
            category=r.category,
            rule_id=r.rule_id,
            speaker=r.speaker,
            start_s=r.start_s,
            end_s=r.end_s,
            evidence=r.evidence,
            match_start=r.match_start,
            match_end=r.match_end,
            cost=r.cost,
            status=r.status,
            resolved_by=r.resolved_by,
            resolved_at=r.resolved_at,
            note=r.note,
            flag_id=r.flag_id,
        )
        for r in rows
    )


def _callee_events(session: Session, flag_ids: list[int]) -> tuple[CalleeEvent, ...]:
    """The holds and do-not-call entries this call's flags placed, in the order placed."""
    if not flag_ids:
        return ()
    holds = session.scalars(select(Hold).where(Hold.source_flag_id.in_(flag_ids)).order_by(Hold.id))
    blocks = session.scalars(
        select(DoNotCall).where(DoNotCall.source_flag_id.in_(flag_ids)).order_by(DoNotCall.id)
    )
    events = [
        CalleeEvent("hold", h.source_flag_id, h.placed_at, h.placed_by, h.detail, h.cleared_at)
        for h in holds
        if h.source_flag_id is not None
    ] + [
        CalleeEvent("do_not_call", d.source_flag_id, d.created_at, d.created_by, d.reason, None)
        for d in blocks
        if d.source_flag_id is not None
    ]
    return tuple(sorted(events, key=lambda e: (e.at, e.kind, e.flag_id)))
