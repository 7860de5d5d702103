"""The note drafted from a call's stored transcript, and what the agent changed in it.

Reads only. ``draft_for_attempt`` hands the call's utterances, who was called and the call's
local time to the pure rules (``compliance.notes_draft``); ``note_changes`` compares a saved
note with its draft for the QA and case pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.detector.findings import Utterance as Line
from compliance.notes_draft import NoteDraft, draft_note
from store.contacts import contact_type
from store.enums import RecordingStatus
from store.models import CallAttempt, CollectionNote, Recording, Utterance


@dataclass(frozen=True)
class DraftedNote:
    recording_id: int
    """The transcript it was drafted from: the form sends it back, so the draft saved with
    the note is the one the agent saw."""
    draft: NoteDraft


def draft_for_attempt(session: Session, attempt: CallAttempt, zone: ZoneInfo) -> DraftedNote | None:
    """The draft of a finished call's note, or None while the call has no transcript."""
    recording = session.scalars(
        select(Recording)
        .where(
            Recording.call_attempt_id == attempt.id,
            Recording.status == RecordingStatus.TRANSCRIBED,
        )
        .order_by(Recording.id.desc())
    ).first()
    if recording is None:
        return None
    rows = session.scalars(
        select(Utterance)
        .where(Utterance.recording_id == recording.id)
        .order_by(Utterance.start_s, Utterance.id)
    ).all()
    if not rows:
        return None
    lines = [Line(u.speaker.value, u.start_s, u.end_s, u.text) for u in rows]
    # The call's own day anchors 明天 and 周五, in the centre's zone (not UTC's, not today's).
    at = (attempt.answered_at or attempt.reserved_at).astimezone(zone)
    return DraftedNote(recording.id, draft_note(lines, contact_type(session, recording), at))


@dataclass(frozen=True)
class NoteChange:
    field: str
    drafted: str
    saved: str


def _show(value: int | date | str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"¥{value / 100:,.2f}"
    return str(value)


def note_changes(note: CollectionNote) -> list[NoteChange]:
    """What the agent changed in the draft before saving; empty when nothing (or no draft)."""
    if note.draft_rules is None:
        return []
    pairs: list[tuple[str, int | date | str | None, int | date | str | None]] = [
        ("outcome 结果", note.draft_outcome, note.outcome),
        ("amount 金额", note.draft_amount_cents, note.promised_amount_cents),
        ("date 日期", note.draft_date, note.promised_date),
        ("note 记录", (note.draft_text or "").strip(), note.text.strip()),
    ]
    return [NoteChange(name, _show(a), _show(b)) for name, a, b in pairs if a != b]


def note_of_attempt(session: Session, attempt_id: int) -> CollectionNote | None:
    return session.scalar(
        select(CollectionNote).where(CollectionNote.call_attempt_id == attempt_id)
    )
