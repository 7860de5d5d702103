"""Recordings, streamed and downloaded by id only; every access is audit-logged.

The path comes from the recording's row and must lie inside the archive: nothing
a user types is ever used to open a file. Every response that carries a recording's
bytes is covered by an audit row naming the user: a download always writes one, and a
playback (which a player fetches in ranges as it seeks) writes one per user and recording
every :data:`PLAY_AUDIT_WINDOW`, whatever range a request asks for.

Sealed recordings (``recorder.archive``) are decrypted chunk by chunk into the response, never
to disk; a range opens only the chunks it covers. Before the first byte of a response, every
byte it will carry is checked (each chunk's tag, and the whole file's sha256 when the whole
file is asked for): a file that fails answers 500 with the reason, serves no audio, and is
audit-logged as ``recording.integrity_failed``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import PlainTextResponse, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.errors import Unsatisfiable
from console.i18n import _, say
from console.web.auth import QA, Principal
from console.web.inputs import DbId
from console.web.pages import DB, cw
from console.web.ranges import ByteRange, requested_range
from recorder.archive import ArchivedAudio, verify
from recorder.errors import ArchiveError, KeyProblem, Tampered
from store.audit import record_audit
from store.models import AuditLog, Recording
from store.types import utcnow

router = APIRouter(prefix="/recordings")
PLAY_AUDIT_WINDOW = timedelta(minutes=30)


def _archived_audio(
    request: Request, session: Session, recording_id: int
) -> tuple[Recording, ArchivedAudio]:
    """The recording's archived audio (opened: a sealed file's header and key checked)."""
    recording = session.get(Recording, recording_id)
    if recording is None:
        raise HTTPException(404, _("没有这个录音"))
    archive = cw(request).archive
    path = Path(recording.path).resolve()
    if not path.is_relative_to(archive.root.resolve()) or not path.is_file():
        raise HTTPException(404, _("录音文件不在归档中"))
    return recording, archive.open(path, recording.sha256)


def _refused(session: Session, who: str, recording_id: int, exc: ArchiveError) -> Response:
    """No audio: the reason, and (unless the master key is what is missing here) an audit row;
    a recording's own key file gone or changed is tampering like a changed audio file."""
    if isinstance(exc, KeyProblem) and not isinstance(exc, Tampered):
        return PlainTextResponse(_("录音无法解密：%(why)s") % {"why": say(exc)}, 503)
    record_audit(
        session,
        who,
        "recording.integrity_failed",
        object_type="recording",
        object_id=str(recording_id),
        detail={"reason": str(exc)[:300]},
    )
    return PlainTextResponse(_("录音完整性校验失败，未播放：%(why)s") % {"why": say(exc)}, 500)


def _audit_play(session: Session, who: str, recording_id: int, header: str | None) -> None:
    """Make sure this playback is in the audit log: a row unless this user's last play of this
    recording is recent (a player's seeks are one playback, not one row per range)."""
    since = utcnow() - PLAY_AUDIT_WINDOW
    recent = session.scalar(
        select(AuditLog.id)
        .where(
            AuditLog.action == "recording.play",
            AuditLog.actor == who,
            AuditLog.object_type == "recording",
            AuditLog.object_id == str(recording_id),
            AuditLog.at >= since,
        )
        .limit(1)
    )
    if recent is None:
        detail = {"range": header[:100]} if header else None
        record_audit(
            session,
            who,
            "recording.play",
            object_type="recording",
            object_id=str(recording_id),
            detail=detail,
        )


def _checked(
    session: Session, who: str, recording: Recording, audio: ArchivedAudio, part: ByteRange
) -> Response | None:
    """None when every byte of ``part`` checks out; else the refusal to send instead."""
    try:
        verify(audio, part.first, part.last, recording.sha256)
    except ArchiveError as exc:
        return _refused(session, who, recording.id, exc)
    return None


def _body(audio: ArchivedAudio, part: ByteRange) -> Iterator[bytes]:
    # Checked just before; a file changed since then stops the stream (the tag fails).
    yield from audio.chunks(part.first, part.last)


@router.get("/{recording_id}/audio")
def stream(
    request: Request,
    recording_id: DbId,
    me: Annotated[Principal, Depends(QA)],
    session: DB,
) -> Response:
    try:
        recording, audio = _archived_audio(request, session, recording_id)
    except ArchiveError as exc:
        return _refused(session, me.username, recording_id, exc)
    size = audio.size
    header = request.headers.get("range")
    try:
        part = requested_range(header, size)
    except Unsatisfiable:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    headers = {"Accept-Ranges": "bytes"}
    if part is None:
        part, status = ByteRange(0, size - 1), 200
    else:
        headers["Content-Range"] = part.content_range(size)
        status = 206
    refused = _checked(session, me.username, recording, audio, part)
    if refused is not None:
        return refused
    # Written in the request's transaction, committed before a byte leaves.
    _audit_play(session, me.username, recording_id, header)
    headers["Content-Length"] = str(max(part.length, 0))
    return StreamingResponse(_body(audio, part), status, headers, media_type="audio/wav")


@router.get("/{recording_id}/download")
def download(
    request: Request,
    recording_id: DbId,
    me: Annotated[Principal, Depends(QA)],
    session: DB,
) -> Response:
    try:
        recording, audio = _archived_audio(request, session, recording_id)
    except ArchiveError as exc:
        return _refused(session, me.username, recording_id, exc)
    whole = ByteRange(0, audio.size - 1)
    refused = _checked(session, me.username, recording, audio, whole)
    if refused is not None:
        return refused
    record_audit(
        session,
        me.username,
        "recording.download",
        object_type="recording",
        object_id=str(recording.id),
    )
    name = f"call-{recording.id}-{recording.sha256[:12]}.wav"
    headers = {
        "Content-Length": str(max(whole.length, 0)),
        "Content-Disposition": f'attachment; filename="{name}"',
    }
    return StreamingResponse(_body(audio, whole), 200, headers, media_type="audio/wav")
