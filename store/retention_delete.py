"""Deleting one expired thing and writing its tombstone, in the caller's transaction.

The tombstone keeps what was deleted, when, under which rule, and a hash of what it was: a
recording's audio sha256 (its file goes after the transaction commits, see
``store.retention``), and for rows the sha256 of their canonical JSON (columns by name,
sorted; instants in ISO 8601 UTC), which a backup of the rows can be checked against. No
content is copied into the tombstone: deleting it is the point.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import delete, inspect, select
from sqlalchemy.orm import Session

from compliance.retention import Expiry, Item, Kind
from store.models import (
    Base,
    CallAttempt,
    CollectionNote,
    Flag,
    LiveAlert,
    LiveCall,
    LiveUtterance,
    Recording,
    ReviewItem,
    ReviewVerdict,
    SpotCheck,
    Tombstone,
    Utterance,
)


@dataclass(frozen=True)
class Deletion:
    """Who deletes, when, and under which periods file."""

    actor: str
    at: datetime
    rules_source: str


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def row_dict(row: Base) -> dict[str, Any]:
    """A row's columns by attribute name, as JSON values."""
    return {attr.key: _plain(getattr(row, attr.key)) for attr in inspect(row).mapper.column_attrs}


def canonical_sha256(content: Any) -> str:
    """The sha256 of ``content`` as canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _rows(session: Session, model: type[Base], where: Any) -> list[dict[str, Any]]:
    return [row_dict(r) for r in session.scalars(select(model).where(where).order_by("id"))]


def _transcript(session: Session, recording_id: int) -> tuple[str, dict[str, Any], None]:
    flags = select(Flag.id).where(Flag.recording_id == recording_id)
    content = {
        "utterances": _rows(session, Utterance, Utterance.recording_id == recording_id),
        "flags": _rows(session, Flag, Flag.recording_id == recording_id),
        "verdicts": _rows(session, ReviewVerdict, ReviewVerdict.flag_id.in_(flags)),
        "review_items": _rows(session, ReviewItem, ReviewItem.recording_id == recording_id),
    }
    session.execute(delete(ReviewVerdict).where(ReviewVerdict.flag_id.in_(flags)))
    session.execute(delete(ReviewItem).where(ReviewItem.recording_id == recording_id))
    session.execute(delete(Flag).where(Flag.recording_id == recording_id))
    session.execute(delete(Utterance).where(Utterance.recording_id == recording_id))
    counts = {key: len(rows) for key, rows in content.items()}
    return canonical_sha256(content), {"rows": counts}, None


def _recording(session: Session, recording_id: int) -> tuple[str, dict[str, Any], str]:
    recording = session.get_one(Recording, recording_id)
    content = {
        "recording": row_dict(recording),
        "spot_checks": _rows(session, SpotCheck, SpotCheck.recording_id == recording_id),
    }
    detail = {"rows_sha256": canonical_sha256(content), "size_bytes": recording.size_bytes}
    sha, path = recording.sha256, recording.path
    session.execute(delete(SpotCheck).where(SpotCheck.recording_id == recording_id))
    session.execute(delete(Recording).where(Recording.id == recording_id))
    return sha, detail, path


def _note(session: Session, note_id: int) -> tuple[str, dict[str, Any], None]:
    note = session.get_one(CollectionNote, note_id)
    digest = canonical_sha256({"note": row_dict(note)})
    session.execute(delete(CollectionNote).where(CollectionNote.id == note_id))
    return digest, {}, None


def _attempt(session: Session, attempt_id: int) -> tuple[str, dict[str, Any], None]:
    attempt = session.get_one(CallAttempt, attempt_id)
    live = LiveUtterance.call_attempt_id == attempt_id
    content = {
        "attempt": row_dict(attempt),
        "live_utterances": _rows(session, LiveUtterance, live),
        "live_alerts": _rows(session, LiveAlert, LiveAlert.call_attempt_id == attempt_id),
        "live_call": [
            row_dict(r)
            for r in session.scalars(select(LiveCall).where(LiveCall.call_attempt_id == attempt_id))
        ],
    }
    session.execute(delete(LiveUtterance).where(live))
    session.execute(delete(LiveAlert).where(LiveAlert.call_attempt_id == attempt_id))
    session.execute(delete(LiveCall).where(LiveCall.call_attempt_id == attempt_id))
    session.execute(delete(CallAttempt).where(CallAttempt.id == attempt_id))
    counts = {key: len(rows) for key, rows in content.items() if key != "attempt"}
    return canonical_sha256(content), {"rows": counts}, None


Deleter = Callable[[Session, int], tuple[str, dict[str, Any], str | None]]
"""Deletes one thing by id; its hash, the tombstone's detail, and a file to remove after."""

_DELETERS: dict[Kind, Deleter] = {
    Kind.TRANSCRIPT: _transcript,
    Kind.RECORDING: _recording,
    Kind.NOTE: _note,
    Kind.ATTEMPT: _attempt,
}


def delete_expired(
    session: Session, goes: Sequence[Expiry], items: dict[Any, Item], how: Deletion
) -> list[Tombstone]:
    """Delete what ``goes`` names (dependents first, as the plan orders them) and add a
    tombstone for each; the caller commits both together."""
    tombstones: list[Tombstone] = []
    for expiry in goes:
        item = items[expiry.ref]
        digest, detail, path = _DELETERS[expiry.ref.kind](session, expiry.ref.id)
        tombstone = Tombstone(
            kind=expiry.ref.kind,
            object_id=expiry.ref.id,
            case_id=item.case_id,
            bank=item.bank,
            rule=expiry.rule,
            rules_source=how.rules_source[-500:],
            since=item.since,
            deleted_at=how.at,
            sha256=digest,
            detail=detail,
            deleted_by=how.actor,
            file_path=path,
        )
        session.add(tombstone)
        tombstones.append(tombstone)
    session.flush()
    return tombstones
