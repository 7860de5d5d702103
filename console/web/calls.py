"""The call page's content: one recording with its call, transcript, flags and verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.contacts import contact_type
from store.models import (
    Agent,
    CallAttempt,
    Case,
    Flag,
    Recording,
    ReviewItem,
    ReviewVerdict,
    SpotCheck,
    User,
    Utterance,
)


@dataclass
class FlagView:
    flag: Flag
    verdicts: list[tuple[ReviewVerdict, str]] = field(default_factory=list)
    """Oldest first, each with the reviewer's name."""

    @property
    def matched(self) -> str:
        """The words that fired the rule, when the detector said which."""
        start, end = self.flag.match_start, self.flag.match_end
        return self.flag.evidence[start:end] if start is not None and end is not None else ""

    @property
    def latest(self) -> ReviewVerdict | None:
        return self.verdicts[-1][0] if self.verdicts else None


@dataclass
class Line:
    utterance: Utterance
    flags: list[Flag]

    @property
    def segments(self) -> list[tuple[str, bool]]:
        """The text cut into (piece, fired) so the page can mark exactly what fired.

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


@dataclass
class CallView:
    recording: Recording
    attempt: CallAttempt | None
    agent: Agent | None
    case: Case | None
    contact_type: str
    call_at: datetime
    lines: list[Line]
    flags: list[FlagView]
    spot_check: SpotCheck | None
    review: list[ReviewItem] = field(default_factory=list)
    """Weak matches for QA to listen to: not flags, shown apart from them."""


def load_call(session: Session, recording_id: int) -> CallView | None:
    recording = session.get(Recording, recording_id)
    if recording is None:
        return None
    attempt = (
        session.get(CallAttempt, recording.call_attempt_id) if recording.call_attempt_id else None
    )
    agent = session.get(Agent, attempt.agent_id) if attempt and attempt.agent_id else None
    case = session.get(Case, attempt.case_id) if attempt else None
    flags = list(
        session.scalars(
            select(Flag).where(Flag.recording_id == recording_id).order_by(Flag.start_s)
        )
    )
    views = {flag.id: FlagView(flag) for flag in flags}
    for verdict, reviewer in session.execute(
        select(ReviewVerdict, User.username)
        .join(User, User.id == ReviewVerdict.reviewer_id)
        .where(ReviewVerdict.flag_id.in_(views))
        .order_by(ReviewVerdict.id)
    ):
        views[verdict.flag_id].verdicts.append((verdict, reviewer))
    utterances = session.scalars(
        select(Utterance).where(Utterance.recording_id == recording_id).order_by(Utterance.start_s)
    )
    lines = [Line(u, [f for f in flags if _covers(f, u)]) for u in utterances]
    spot = session.scalar(select(SpotCheck).where(SpotCheck.recording_id == recording_id))
    return CallView(
        recording=recording,
        attempt=attempt,
        agent=agent,
        case=case,
        contact_type=contact_type(session, recording),
        call_at=(attempt.answered_at or attempt.reserved_at) if attempt else recording.created_at,
        lines=lines,
        flags=list(views.values()),
        spot_check=spot,
        review=list(
            session.scalars(
                select(ReviewItem)
                .where(ReviewItem.recording_id == recording_id)
                .order_by(ReviewItem.start_s, ReviewItem.id)
            )
        ),
    )


def _covers(flag: Flag, utterance: Utterance) -> bool:
    """A flag marks the utterances of its speaker that overlap its span."""
    return (
        flag.speaker == utterance.speaker
        and utterance.start_s < flag.end_s + 0.01
        and flag.start_s < utterance.end_s + 0.01
    )
