"""A complaint's evidence bundle for the client bank: one ZIP holding the recordings, their
transcripts, the flags and QA verdicts, the collection notes, the holds and the policy
decision of every call attempt the complaint links, with ``manifest.json`` giving each
file's sha256, the complaint's row and the audit chain's head when the bundle was made.

Recordings are copied in chunks (never a whole file in memory) and hashed as they are
copied: one whose bytes no longer match the sha256 stored when it was archived stops the
bundle with :class:`BundleError`, and nothing is left behind, because evidence that was
changed must never reach the bank looking sound. The ZIP is written beside its target and
renamed into place only when whole. Every name inside it is built from ids and hex digits
and checked (:func:`member`), so no stored text can steer a path.

I/O: the caller's session (reads only) and the files; the caller writes the audit row.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit_chain import Head
from store.complaints import linked_ids
from store.errors import StoreError
from store.models import (
    Agent,
    CallAttempt,
    Case,
    ClientBank,
    CollectionNote,
    Complaint,
    Flag,
    Hold,
    Recording,
    ReviewVerdict,
    User,
    Utterance,
)
from store.models.base import Base
from store.said import N_, Said, SaidError

CHANGED = N_("与存档时记录的不一致（被改动或损坏）")
"""Why a recording's archived file cannot go into a bundle, whoever found it."""

FORMAT = "callwarden-complaint-bundle/1"
_CHUNK = 1024 * 1024
_SAFE_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,100}(\.[A-Za-z0-9]{1,8})?")
_README = """投诉证据包 · Complaint evidence bundle

manifest.json    每个文件的 sha256、投诉登记、生成时的审计链头
                 every file's sha256, the complaint's row, the audit chain head at bundle time
complaint.json   投诉登记及其关联的通话、录音、质检标记、催收记录
                 the complaint and what it links (calls, recordings, flags, notes)
attempts.json    每次拨打的策略决定（规则、规则集版本、原因、计数）
                 every attempt's policy decision (rule, rule set, reason, counters)
recordings/      录音原件（与归档时的 sha256 核对一致）
                 the archived recordings, checked against their stored sha256
transcripts/     每段录音的转写，按说话人 · each recording's transcript by speaker
flags.json       质检标记及质检结论 · the detector's flags and QA verdicts
notes.json       催收记录 · collection notes
holds.json       停催记录 · holds on the case
"""


class BundleError(StoreError, SaidError):
    """The bundle cannot be made; the message names the complaint or recording and why (never
    a server path: the page that shows it is a QA inspector's)."""


@dataclass(frozen=True)
class Bundle:
    path: Path
    sha256: str
    """Of the whole ZIP file, for the audit row."""
    size: int
    files: int
    """Members besides the manifest."""
    manifest_sha256: str


def member(*parts: str) -> str:
    """A path inside the ZIP from safe parts (letters, digits, ``-``, ``_``, one extension)."""
    for part in parts:
        if not _SAFE_PART.fullmatch(part):
            raise BundleError(N_("证据包内的文件名不安全：%(name)r"), name=part[:60])
    return "/".join(parts)


def plain(value: object) -> Any:
    """A column's value as JSON: instants and days in ISO 8601, enums as their values."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def row(obj: Base) -> dict[str, Any]:
    """Every column of a stored row, as it is in the database."""
    return {c.key: plain(getattr(obj, c.key)) for c in obj.__table__.columns}


ReadAudio = Callable[[Path, str], Iterable[bytes]]
"""(archived file, stored sha256) → the recording's plain bytes: the archive's own reader,
which decrypts a sealed file in memory (``recorder.archive``); it raises BundleError."""


def _file_bytes(path: Path, _sha256: str) -> Iterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            yield chunk


class _Writer:
    """Adds members to the ZIP and keeps the manifest's list of them."""

    def __init__(
        self, archive: zipfile.ZipFile, at: datetime, read_audio: ReadAudio = _file_bytes
    ) -> None:
        self.read_audio = read_audio
        self.archive = archive
        self.stamp = at.timetuple()[:6]
        self.entries: list[dict[str, Any]] = []

    def _info(self, name: str, compress: int) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.stamp)
        info.compress_type = compress
        info.external_attr = 0o600 << 16
        return info

    def data(self, name: str, payload: bytes) -> str:
        self.archive.writestr(self._info(name, zipfile.ZIP_DEFLATED), payload)
        digest = hashlib.sha256(payload).hexdigest()
        self.entries.append({"name": name, "sha256": digest, "bytes": len(payload)})
        return digest

    def json(self, name: str, value: object) -> str:
        text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        return self.data(name, text.encode("utf-8"))

    def recording(self, name: str, recording: Recording, archive_root: Path) -> None:
        """Copy the archived file in chunks, hashing it; refuse it unless it is unchanged."""
        path = Path(recording.path).resolve()
        if not path.is_relative_to(archive_root.resolve()) or not path.is_file():
            raise BundleError(N_("录音 %(recording)s：归档中没有它的文件"), recording=recording.id)
        digest, size = hashlib.sha256(), 0
        info = self._info(name, zipfile.ZIP_STORED)  # audio barely compresses
        with self.archive.open(info, "w", force_zip64=True) as sink:
            try:
                for chunk in self.read_audio(path, recording.sha256):
                    digest.update(chunk)
                    size += len(chunk)
                    sink.write(chunk)
            except BundleError as exc:  # the reader knows the file; the refusal names the row
                raise BundleError(
                    N_("录音 %(recording)s：%(why)s"), recording=recording.id, why=exc.said
                ) from exc
        found = digest.hexdigest()
        if found != recording.sha256 or size != recording.size_bytes:
            raise BundleError(
                N_("录音 %(recording)s：%(why)s"), recording=recording.id, why=Said(CHANGED)
            )
        self.entries.append({"name": name, "sha256": found, "bytes": size})


def _rows(session: Session, model: type[Base], ids: Sequence[int]) -> list[Any]:
    if not ids:
        return []
    key = model.__table__.c.id
    return list(session.scalars(select(model).where(key.in_(ids)).order_by(key)))


def _case_facts(session: Session, complaint: Complaint) -> dict[str, Any]:
    case = session.get_one(Case, complaint.case_id)
    bank = session.get_one(ClientBank, case.client_bank_id)
    return {"id": case.id, "account_no": case.account_no, "client_bank": bank.code}


def _attempts(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    codes = {ident: code for ident, code in session.execute(select(Agent.id, Agent.code))}
    return [
        row(a) | {"agent_code": codes.get(a.agent_id) if a.agent_id else None}
        for a in _rows(session, CallAttempt, ids)
    ]


def _flags(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    flags = _rows(session, Flag, ids)
    verdicts = session.execute(
        select(ReviewVerdict, User.username)
        .join(User, User.id == ReviewVerdict.reviewer_id)
        .where(ReviewVerdict.flag_id.in_([f.id for f in flags]))
        .order_by(ReviewVerdict.id)
    ).all()
    by_flag: dict[int, list[dict[str, Any]]] = {}
    for verdict, reviewer in verdicts:
        by_flag.setdefault(verdict.flag_id, []).append(row(verdict) | {"reviewer": reviewer})
    return [row(f) | {"verdicts": by_flag.get(f.id, [])} for f in flags]


def _recordings(
    writer: _Writer, session: Session, ids: Sequence[int], archive_root: Path
) -> list[dict[str, Any]]:
    listed = []
    for recording in _rows(session, Recording, ids):
        audio = member("recordings", f"recording-{recording.id}-{recording.sha256[:12]}.wav")
        writer.recording(audio, recording, archive_root)
        utterances = session.scalars(
            select(Utterance)
            .where(Utterance.recording_id == recording.id)
            .order_by(Utterance.start_s, Utterance.id)
        )
        transcript = member("transcripts", f"recording-{recording.id}.json")
        writer.json(
            transcript,
            {"recording_id": recording.id, "utterances": [row(u) for u in utterances]},
        )
        listed.append(row(recording) | {"file": audio, "transcript": transcript})
    return listed


def _write_members(
    writer: _Writer, session: Session, complaint: Complaint, archive_root: Path
) -> dict[str, Any]:
    """Every member but the manifest; returns the case's facts for it."""
    links = {
        kind: linked_ids(session, complaint.id, kind)
        for kind in ("call_attempt", "recording", "flag", "note")
    }
    case = _case_facts(session, complaint)
    writer.data("README.txt", _README.encode("utf-8"))
    writer.json("complaint.json", {"complaint": row(complaint), "case": case, "links": links})
    writer.json("attempts.json", _attempts(session, links["call_attempt"]))
    recordings = _recordings(writer, session, links["recording"], archive_root)
    writer.json("recordings.json", recordings)
    writer.json("flags.json", _flags(session, links["flag"]))
    writer.json("notes.json", [row(n) for n in _rows(session, CollectionNote, links["note"])])
    holds = session.scalars(select(Hold).where(Hold.case_id == complaint.case_id).order_by(Hold.id))
    writer.json("holds.json", [row(h) for h in holds])
    return case


def _private_file(path: Path) -> BinaryIO:
    """A new file only its owner may read: the bundle holds residents' data."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(descriptor, "wb")


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def build_bundle(  # noqa: PLR0917 (the complaint, where its pieces are, where it goes, and when)
    session: Session,
    complaint_id: int,
    archive_root: Path,
    target: Path,
    head: Head,
    at: datetime,
    actor: str,
    read_audio: ReadAudio = _file_bytes,
) -> Bundle:
    """Write complaint ``complaint_id``'s bundle to ``target``; nothing is left there if any
    piece fails its check. Recordings are read through ``read_audio`` (a clear file as is,
    by default)."""
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise BundleError(N_("没有投诉 %(complaint)s"), complaint=complaint_id)
    partial = target.with_name(target.name + ".partial")
    try:
        with _private_file(partial) as handle, zipfile.ZipFile(handle, "w") as archive:
            writer = _Writer(archive, at, read_audio)
            case = _write_members(writer, session, complaint, archive_root)
            manifest = {
                "format": FORMAT,
                "generated_at": at.isoformat(),
                "generated_by": actor,
                "audit_head": str(head),
                "complaint": row(complaint),
                "case": case,
                "files": writer.entries,
            }
            files = len(writer.entries)
            manifest_sha = writer.json("manifest.json", manifest)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Bundle(target, _file_sha256(target), target.stat().st_size, files, manifest_sha)
