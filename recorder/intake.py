"""Intake: every finished recording becomes a Recording row and a read-only archived copy.

Files are stored content-addressed under a dated tree
(``<archive>/YYYY/MM/DD/ab/abcdef….wav``); the original is copied, never moved,
changed or deleted. A file that cannot be used (empty, truncated, not WAV,
wrong rate) is stored and recorded as ``failed`` with the reason, so QA sees
it, and the pipeline goes on with the next one.

A file whose WAV header understates its audio (Asterisk killed before it closed
the file) is archived as it came, byte for byte, under the sha256 of those
bytes: no repaired copy is made. Every reader (``recorder.audio``) reads such a
file to its end, the same way each time, and the row's ``repair_note`` says that
it did and what the header claimed, for QA and ``calls show``.

With ``[archive] encrypt`` on, the archived copy is sealed (``recorder.archive``): the row's
path names the ``.cwa`` file, ``size_bytes`` and ``sha256`` stay those of the plain audio,
and the audio is checked from the source file (the plain copy is never written).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from recorder.archive import Archive, sha256_of
from recorder.audio import read_recording
from recorder.errors import BadRecording
from store.db import SessionFactory
from store.enums import RecordingStatus
from store.models import Recording
from store.qa import spot_draw


@dataclass(frozen=True)
class Intake:
    recording_id: int
    sha256: str
    status: RecordingStatus
    error: str | None
    duplicate: bool
    """The same content was already stored (nothing new was written)."""


@dataclass(frozen=True, kw_only=True)
class CallMetadata:
    """What the dialer (or whoever hands the file over) knows about the call."""

    call_attempt_id: int | None = None
    agent_channel: int | None = None
    """0 = left; None for mono or unknown."""
    contact_type: str | None = None
    repair_note: str | None = None
    """What was recovered before this file was made (direction files merged past their stale
    headers, ``recorder.merge``); kept on the row with any repair of this file's own."""


def store_recording(
    sessions: SessionFactory,
    source: Path,
    archive: Path | Archive,
    now: datetime,
    metadata: CallMetadata | None = None,
) -> Intake:
    """Archive ``source`` and record it; the same content twice is one recording.

    ``archive`` is the archive, or the folder of a clear one."""
    meta = metadata or CallMetadata()
    store = archive if isinstance(archive, Archive) else Archive(archive)
    digest = sha256_of(source)
    with sessions() as session:
        existing = session.scalars(_same_recording(digest, meta.call_attempt_id)).first()
        if existing is not None:
            return Intake(existing.id, digest, existing.status, existing.error, duplicate=True)
    target = store.store(source, digest, now)
    row = Recording(
        call_attempt_id=meta.call_attempt_id,
        sha256=digest,
        spot_draw=spot_draw(digest),
        path=str(target),
        size_bytes=source.stat().st_size,
        agent_channel=meta.agent_channel,
        contact_type=meta.contact_type,
        original_name=str(source),
        created_at=now,
        status=RecordingStatus.STORED,
    )
    try:
        audio = read_recording(source if store.encrypt else target)
        row.duration_s, row.sample_rate = audio.duration, audio.rate
        row.channels = len(audio.channels)
        row.repair_note = _joined(meta.repair_note, audio.repair)
        if row.channels == 1:
            row.agent_channel = None
    except BadRecording as exc:
        row.status, row.error = RecordingStatus.FAILED, _named(str(exc), source, target)
    try:
        with sessions.begin() as session:
            session.add(row)
            session.flush()
            return Intake(row.id, digest, row.status, row.error, duplicate=False)
    except IntegrityError:
        with sessions() as session:  # another intake stored the same call first?
            other = session.scalars(_same_recording(digest, meta.call_attempt_id)).first()
        if other is None:
            raise  # not a race: a bad reference (no such attempt)
        return Intake(other.id, digest, other.status, other.error, duplicate=True)


def _named(message: str, source: Path, target: Path) -> str:
    """A message about the file, naming it as whoever handed it over knows it."""
    return message.replace(str(target), source.name).replace(str(source), source.name)


def _joined(*notes: str | None) -> str | None:
    return "; ".join(n for n in notes if n) or None


def _same_recording(digest: str, attempt: int | None) -> Select[Recording]:
    """This content for this attempt (or, without one, this content from a batch)."""
    same_call = (
        Recording.call_attempt_id.is_(None)
        if attempt is None
        else Recording.call_attempt_id == attempt
    )
    return select(Recording).where(Recording.sha256 == digest, same_call)


def wav_files(paths: Iterable[Path]) -> list[Path]:
    """The WAV files named, and those under any folder named, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() == ".wav"))
        else:
            found.append(path)
    return found
