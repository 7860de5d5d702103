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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import delete, inspect, select
from sqlalchemy.orm import Session

from compliance.retention import Expiry, Item, Kind, Ref
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

_NO_SYNC = {"synchronize_session": False}
"""The session is not asked to find deleted rows among those it holds: that search grows
with the batch (quadratic), and nothing in the batch reads a deleted row again."""


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


_CHUNK = 500
"""Ids per IN (...): well under every driver's limit on bound parameters."""

Outcome = tuple[str, dict[str, Any], str | None]
"""A deleted thing's hash, its tombstone's detail, and the file to remove after commit."""
Deleter = Callable[[Session, list[int]], dict[int, Outcome]]
"""Deletes things of one kind by id, set-wise; what each one was."""


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _grouped(
    session: Session, model: type[Base], key: Any, ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """``model``'s rows whose ``key`` column is in ``ids``, as dicts, grouped by it, in
    primary-key order (the order the hash sees them in)."""
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    order = inspect(model).primary_key
    for chunk in _chunks(ids):
        for row in session.scalars(select(model).where(key.in_(chunk)).order_by(*order)):
            found[getattr(row, key.key)].append(row_dict(row))
    return found


def _delete(session: Session, model: type[Base], key: Any, ids: list[int]) -> None:
    for chunk in _chunks(ids):
        session.execute(delete(model).where(key.in_(chunk)), execution_options=_NO_SYNC)


def _transcripts(session: Session, ids: list[int]) -> dict[int, Outcome]:
    """Recordings' utterances, flags (with QA's verdicts on them) and review items."""
    flags = _grouped(session, Flag, Flag.recording_id, ids)
    flag_ids = [flag["id"] for rows in flags.values() for flag in rows]
    verdicts = _grouped(session, ReviewVerdict, ReviewVerdict.flag_id, flag_ids)
    parts = {
        "utterances": _grouped(session, Utterance, Utterance.recording_id, ids),
        "flags": flags,
        "review_items": _grouped(session, ReviewItem, ReviewItem.recording_id, ids),
    }
    _delete(session, ReviewVerdict, ReviewVerdict.flag_id, flag_ids)
    _delete(session, ReviewItem, ReviewItem.recording_id, ids)
    _delete(session, Flag, Flag.recording_id, ids)
    _delete(session, Utterance, Utterance.recording_id, ids)
    outcomes: dict[int, Outcome] = {}
    for rid in ids:
        content = {key: rows[rid] for key, rows in parts.items()}
        content["verdicts"] = [v for f in flags[rid] for v in verdicts[f["id"]]]
        counts = {key: len(rows) for key, rows in content.items()}
        outcomes[rid] = (canonical_sha256(content), {"rows": counts}, None)
    return outcomes


def _recordings(session: Session, ids: list[int]) -> dict[int, Outcome]:
    """The recordings' rows (with QA's spot checks); the hash is the audio's."""
    rows = _grouped(session, Recording, Recording.id, ids)
    spot_checks = _grouped(session, SpotCheck, SpotCheck.recording_id, ids)
    _delete(session, SpotCheck, SpotCheck.recording_id, ids)
    _delete(session, Recording, Recording.id, ids)
    outcomes: dict[int, Outcome] = {}
    for rid in ids:
        (row,) = rows[rid]
        content = {"recording": row, "spot_checks": spot_checks[rid]}
        detail = {"rows_sha256": canonical_sha256(content), "size_bytes": row["size_bytes"]}
        outcomes[rid] = (row["sha256"], detail, row["path"])
    return outcomes


def _notes(session: Session, ids: list[int]) -> dict[int, Outcome]:
    rows = _grouped(session, CollectionNote, CollectionNote.id, ids)
    _delete(session, CollectionNote, CollectionNote.id, ids)
    return {nid: (canonical_sha256({"note": rows[nid][0]}), {}, None) for nid in ids}


def _attempts(session: Session, ids: list[int]) -> dict[int, Outcome]:
    """The attempts' rows with what the live path stored of them."""
    rows = _grouped(session, CallAttempt, CallAttempt.id, ids)
    parts = {
        "live_utterances": _grouped(session, LiveUtterance, LiveUtterance.call_attempt_id, ids),
        "live_alerts": _grouped(session, LiveAlert, LiveAlert.call_attempt_id, ids),
        "live_call": _grouped(session, LiveCall, LiveCall.call_attempt_id, ids),
    }
    for model in (LiveUtterance, LiveAlert, LiveCall):
        _delete(session, model, model.call_attempt_id, ids)
    _delete(session, CallAttempt, CallAttempt.id, ids)
    outcomes: dict[int, Outcome] = {}
    for aid in ids:
        content: dict[str, Any] = {key: found[aid] for key, found in parts.items()}
        counts = {key: len(found) for key, found in content.items()}
        content["attempt"] = rows[aid][0]
        outcomes[aid] = (canonical_sha256(content), {"rows": counts}, None)
    return outcomes


_DELETERS: dict[Kind, Deleter] = {
    Kind.TRANSCRIPT: _transcripts,
    Kind.RECORDING: _recordings,
    Kind.NOTE: _notes,
    Kind.ATTEMPT: _attempts,
}


def delete_expired(
    session: Session, goes: Sequence[Expiry], items: dict[Ref, Item], how: Deletion
) -> list[Tombstone]:
    """Delete what ``goes`` names (dependents first, as the plan orders them) and add a
    tombstone for each; the caller commits both together."""
    outcomes: dict[Ref, Outcome] = {}
    for kind, deleter in _DELETERS.items():  # dependents' kinds first, as foreign keys point
        ids = [e.ref.id for e in goes if e.ref.kind is kind]
        if ids:
            done = deleter(session, ids)
            outcomes.update({Ref(kind, i): outcome for i, outcome in done.items()})
    tombstones: list[Tombstone] = []
    for expiry in goes:
        item = items[expiry.ref]
        digest, detail, path = outcomes[expiry.ref]
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
