"""A finished call's transcript as the note drafter reads it, and what an agent changed in
the draft. Reads only; the drafting rules are pure and live in ``compliance.notes_draft``
(the console joins the two).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.contacts import contact_type
from store.enums import RecordingStatus, Speaker
from store.models import CallAttempt, CollectionNote, Recording, Utterance


@dataclass(frozen=True)
class CallTranscript:
    recording_id: int
    """The transcript's recording: the form sends it back, so the draft saved with the note
    is the one the agent saw."""
    contact_type: str
    call_at: datetime
    """When the call was answered (else reserved), aware UTC."""
    lines: tuple[tuple[Speaker, float, float, str], ...]
    """(speaker, start s, end s, text), in the order said."""


def transcript_of_attempt(session: Session, attempt: CallAttempt) -> CallTranscript | None:
    """The call's latest transcript, or None while it has none."""
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
    return CallTranscript(
        recording.id,
        contact_type(session, recording),
        attempt.answered_at or attempt.reserved_at,
        tuple((u.speaker, u.start_s, u.end_s, u.text) for u in rows),
    )


@dataclass(frozen=True)
class NoteChange:
    field: str
    drafted: str
    saved: str


def _show(value: int | date | str | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, int):
        return f"¥{value / 100:,.2f}"
    return str(value)


def note_changes(note: CollectionNote) -> list[NoteChange]:
    """What the agent changed in the draft before saving; empty when nothing (or no draft).
    Fields by id (``outcome``, ``amount``, ``date``, ``note``), an outcome by its stored value:
    the console names both in its reader's language."""
    if note.draft_rules is None:
        return []
    pairs: list[tuple[str, int | date | str | None, int | date | str | None]] = [
        ("outcome", note.draft_outcome, note.outcome),
        ("amount", note.draft_amount_cents, note.promised_amount_cents),
        ("date", note.draft_date, note.promised_date),
        ("note", (note.draft_text or "").strip(), note.text.strip()),
    ]
    return [NoteChange(name, _show(a), _show(b)) for name, a, b in pairs if a != b]


def note_of_attempt(session: Session, attempt_id: int) -> CollectionNote | None:
    return session.scalar(
        select(CollectionNote).where(CollectionNote.call_attempt_id == attempt_id)
    )
