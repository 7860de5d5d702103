"""Recordings, streamed and downloaded by id only; every access is audit-logged.

The path comes from the recording's row and must lie inside the archive: nothing
a user types is ever used to open a file. Every response that carries a recording's
bytes is covered by an audit row naming the user: a download always writes one, and a
playback (which a player fetches in ranges as it seeks) writes one per user and recording
every :data:`PLAY_AUDIT_WINDOW`, whatever range a request asks for.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.errors import Unsatisfiable
from console.web.auth import QA, Principal
from console.web.inputs import DbId
from console.web.pages import DB, cw
from console.web.ranges import ByteRange, requested_range
from store.audit import record_audit
from store.models import AuditLog, Recording
from store.types import utcnow

router = APIRouter(prefix="/recordings")
PLAY_AUDIT_WINDOW = timedelta(minutes=30)
_CHUNK = 64 * 1024


def _archived_file(
    request: Request, session: Session, recording_id: int, audited: str | None, who: str
) -> tuple[Recording, Path]:
    """The recording's archived file, after writing ``audited`` (if any) to the audit log."""
    recording = session.get(Recording, recording_id)
    if recording is None:
        raise HTTPException(404, "no such recording")
    root = cw(request).paths.recordings.resolve()
    path = Path(recording.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise HTTPException(404, "the recording's file is not in the archive")
    if audited:
        record_audit(session, who, audited, object_type="recording", object_id=str(recording.id))
    return recording, path


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


def _read(path: Path, part: ByteRange) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(part.first)
        left = part.length
        while left > 0:
            chunk = handle.read(min(_CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


@router.get("/{recording_id}/audio")
def stream(
    request: Request,
    recording_id: DbId,
    me: Annotated[Principal, Depends(QA)],
    session: DB,
) -> Response:
    _, path = _archived_file(request, session, recording_id, None, me.username)
    size = path.stat().st_size
    header = request.headers.get("range")
    try:
        part = requested_range(header, size)
    except Unsatisfiable:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    # Written in the request's transaction, committed before a byte leaves.
    _audit_play(session, me.username, recording_id, header)
    headers = {"Accept-Ranges": "bytes"}
    if part is None:
        part, status = ByteRange(0, size - 1), 200
    else:
        headers["Content-Range"] = part.content_range(size)
        status = 206
    headers["Content-Length"] = str(max(part.length, 0))
    return StreamingResponse(_read(path, part), status, headers, media_type="audio/wav")


@router.get("/{recording_id}/download")
def download(
    request: Request,
    recording_id: DbId,
    me: Annotated[Principal, Depends(QA)],
    session: DB,
) -> Response:
    recording, path = _archived_file(
        request, session, recording_id, "recording.download", me.username
    )
    return FileResponse(
        path, media_type="audio/wav", filename=f"call-{recording.id}-{recording.sha256[:12]}.wav"
    )
