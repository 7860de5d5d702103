"""Recordings, streamed and downloaded by id only; every access is audit-logged.

The path comes from the recording's row and must lie inside the archive: nothing
a user types is ever used to open a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from console.pipeline_cmd import archive_dir
from console.web.auth import QA, Principal
from console.web.server import DB, cw
from store.audit import record_audit
from store.models import Recording

router = APIRouter(prefix="/recordings")


def _archived_file(
    request: Request, session: Session, recording_id: int, audited: str | None, who: str
) -> tuple[Recording, Path]:
    """The recording's archived file, after writing ``audited`` (if any) to the audit log."""
    recording = session.get(Recording, recording_id)
    if recording is None:
        raise HTTPException(404, "no such recording")
    root = archive_dir(cw(request).settings).resolve()
    path = Path(recording.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise HTTPException(404, "the recording's file is not in the archive")
    if audited:
        record_audit(session, who, audited, object_type="recording", object_id=str(recording.id))
    return recording, path


def _first_request(request: Request) -> bool:
    # A player asks for the file in ranges as it seeks; one playback is logged once.
    header = request.headers.get("range")
    return header is None or header.replace(" ", "").startswith("bytes=0-")


@router.get("/{recording_id}/audio")
def stream(
    request: Request,
    recording_id: int,
    me: Annotated[Principal, Depends(QA)],
    session: DB,
) -> Response:
    action = "recording.play" if _first_request(request) else None
    _, path = _archived_file(request, session, recording_id, action, me.username)
    return FileResponse(path, media_type="audio/wav")


@router.get("/{recording_id}/download")
def download(
    request: Request,
    recording_id: int,
    me: Annotated[Principal, Depends(QA)],
    session: DB,
) -> Response:
    recording, path = _archived_file(
        request, session, recording_id, "recording.download", me.username
    )
    return FileResponse(
        path, media_type="audio/wav", filename=f"call-{recording.id}-{recording.sha256[:12]}.wav"
    )
