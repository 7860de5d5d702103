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
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

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


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def archive_path(archive: Path, sha256: str, when: datetime) -> Path:
    return archive / f"{when:%Y/%m/%d}" / sha256[:2] / f"{sha256}.wav"


def store_recording(
    sessions: SessionFactory,
    source: Path,
    archive: Path,
    now: datetime,
    metadata: CallMetadata | None = None,
) -> Intake:
    """Archive ``source`` and record it; the same content twice is one recording."""
    meta = metadata or CallMetadata()
    digest = sha256_of(source)
    with sessions() as session:
        existing = session.scalars(_same_recording(digest, meta.call_attempt_id)).first()
        if existing is not None:
            return Intake(existing.id, digest, existing.status, existing.error, duplicate=True)
    target = archive_path(archive, digest, now)
    _copy_read_only(source, target)
    row = Recording(
        call_attempt_id=meta.call_attempt_id,
        sha256=digest,
        spot_draw=spot_draw(digest),
        path=str(target),
        size_bytes=target.stat().st_size,
        agent_channel=meta.agent_channel,
        contact_type=meta.contact_type,
        original_name=str(source),
        created_at=now,
        status=RecordingStatus.STORED,
    )
    try:
        audio = read_recording(target)
        row.duration_s, row.sample_rate = audio.duration, audio.rate
        row.channels = len(audio.channels)
        row.repair_note = _joined(meta.repair_note, audio.repair)
        if row.channels == 1:
            row.agent_channel = None
    except BadRecording as exc:
        row.status, row.error = RecordingStatus.FAILED, str(exc).replace(str(target), source.name)
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


def _copy_read_only(source: Path, target: Path) -> None:
    if target.is_file() and target.stat().st_size == source.stat().st_size:
        return  # content-addressed: same name, same bytes
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        shutil.copyfile(source, partial)
        partial.chmod(0o444)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def wav_files(paths: Iterable[Path]) -> list[Path]:
    """The WAV files named, and those under any folder named, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() == ".wav"))
        else:
            found.append(path)
    return found
