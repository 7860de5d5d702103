"""From stored rows to retention's facts (:class:`compliance.retention.Item`): every attempt,
recording, transcript and note of some cases (or the recordings imported with no case), with
the moment its period starts, its bank, what hangs on it and what pins it. The one road from
rows to the decision: the dry run and the run both read through here. I/O: the caller's
session, reads only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import Select, select, union
from sqlalchemy.orm import Session

from compliance.retention import Item, Kind, Ref
from store.models import (
    CallAttempt,
    Case,
    CaseConsent,
    ClientBank,
    CollectionNote,
    Complaint,
    DoNotCall,
    Flag,
    Hold,
    Recording,
    ReviewItem,
    Utterance,
)

_RecordingRow = tuple[int, datetime, datetime | None, int | None, int | None, str | None]
"""A recording's id, created_at, transcribed_at, attempt, case and bank."""


def case_items(session: Session, case_ids: Collection[int]) -> list[Item]:
    """Every attempt, note, recording and transcript of these cases."""
    if not case_ids:
        return []
    banks = dict(
        session.execute(
            select(Case.id, ClientBank.code)
            .join(ClientBank, ClientBank.id == Case.client_bank_id)
            .where(Case.id.in_(case_ids))
        ).all()
    )
    attempts = list(
        session.execute(
            select(CallAttempt.id, CallAttempt.reserved_at, CallAttempt.case_id).where(
                CallAttempt.case_id.in_(case_ids)
            )
        )
    )
    recordings: list[_RecordingRow] = [
        (rid, created, transcribed, attempt, case, banks.get(case))
        for rid, created, transcribed, attempt, case in session.execute(
            select(
                Recording.id,
                Recording.created_at,
                Recording.transcribed_at,
                Recording.call_attempt_id,
                CallAttempt.case_id,
            )
            .join(CallAttempt, CallAttempt.id == Recording.call_attempt_id)
            .where(CallAttempt.case_id.in_(case_ids))
        )
    ]
    notes = list(
        session.execute(
            select(
                CollectionNote.id,
                CollectionNote.created_at,
                CollectionNote.case_id,
                CollectionNote.call_attempt_id,
            ).where(CollectionNote.case_id.in_(case_ids))
        )
    )
    items = _recording_items(session, recordings)
    hanging: defaultdict[int, set[Ref]] = defaultdict(set)
    for rid, _, _, attempt, _, _ in recordings:
        if attempt is not None:
            hanging[attempt].add(Ref(Kind.RECORDING, rid))
    for nid, created, case, attempt in notes:
        items.append(Item(Ref(Kind.NOTE, nid), created, banks.get(case), case))
        if attempt is not None:
            hanging[attempt].add(Ref(Kind.NOTE, nid))
    consents = _consent_attempts(session, [a[0] for a in attempts])
    for aid, reserved, case in attempts:
        ref = Ref(Kind.ATTEMPT, aid)
        pin = f"evidence of consent #{consents[aid]}" if aid in consents else ""
        items.append(Item(ref, reserved, banks.get(case), case, frozenset(hanging[aid]), pin))
    return items


def loose_recording_ids(session: Session, after: int, limit: int) -> list[int]:
    """Recordings imported with no call attempt (so no case), in id order from ``after``."""
    return list(
        session.scalars(
            select(Recording.id)
            .where(Recording.call_attempt_id.is_(None), Recording.id > after)
            .order_by(Recording.id)
            .limit(limit)
        )
    )


def loose_recording_items(session: Session, recording_ids: Collection[int]) -> list[Item]:
    """Those recordings and their transcripts; the default periods apply, no hold reaches."""
    rows: list[_RecordingRow] = [
        (rid, created, transcribed, None, None, None)
        for rid, created, transcribed in session.execute(
            select(Recording.id, Recording.created_at, Recording.transcribed_at).where(
                Recording.id.in_(recording_ids), Recording.call_attempt_id.is_(None)
            )
        )
    ]
    return _recording_items(session, rows)


def _recording_items(session: Session, rows: list[_RecordingRow]) -> list[Item]:
    ids = [row[0] for row in rows]
    transcribed = _with_transcript(session, ids)
    pins = _transcript_pins(session, ids)
    items: list[Item] = []
    for rid, created, done, _, case, bank in rows:
        ref = Ref(Kind.RECORDING, rid)
        dependents: frozenset[Ref] = frozenset()
        if rid in transcribed:
            # A transcript made (or remade) later than the call runs from then: never shorter.
            since = max(created, done) if done is not None else created
            transcript = Ref(Kind.TRANSCRIPT, rid)
            items.append(Item(transcript, since, bank, case, pinned=pins.get(rid, "")))
            dependents = frozenset({transcript})
        items.append(Item(ref, created, bank, case, dependents))
    return items


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _with_transcript(session: Session, recording_ids: list[int]) -> set[int]:
    """The recordings that still have utterances, flags or review items."""
    found: set[int] = set()
    for chunk in _chunks(recording_ids):
        parts: list[Select[int]] = [
            select(Utterance.recording_id).where(Utterance.recording_id.in_(chunk)),
            select(Flag.recording_id).where(Flag.recording_id.in_(chunk)),
            select(ReviewItem.recording_id).where(ReviewItem.recording_id.in_(chunk)),
        ]
        found.update(session.scalars(select(union(*parts).subquery().c[0])))
    return found


def _transcript_pins(session: Session, recording_ids: list[int]) -> dict[int, str]:
    """Transcripts other records point at as their evidence: a consent's utterance, the flag
    a hold, a complaint or a do-not-call entry was placed from."""
    pins: dict[int, str] = {}
    for chunk in _chunks(recording_ids):
        consent = session.execute(
            select(Utterance.recording_id, CaseConsent.id)
            .join(CaseConsent, CaseConsent.utterance_id == Utterance.id)
            .where(Utterance.recording_id.in_(chunk))
        )
        for rid, consent_id in consent:
            pins.setdefault(rid, f"evidence of consent #{consent_id}")
        for model, what in ((Hold, "hold"), (Complaint, "complaint"), (DoNotCall, "do-not-call")):
            sources = session.execute(
                select(Flag.recording_id, model.id)
                .join(model, model.source_flag_id == Flag.id)
                .where(Flag.recording_id.in_(chunk))
            )
            for rid, row_id in sources:
                pins.setdefault(rid, f"evidence of {what} #{row_id}")
    return pins


def _consent_attempts(session: Session, attempt_ids: list[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for chunk in _chunks(attempt_ids):
        rows = session.execute(
            select(CaseConsent.call_attempt_id, CaseConsent.id).where(
                CaseConsent.call_attempt_id.in_(chunk)
            )
        )
        for attempt, consent in rows:
            if attempt is not None:
                found.setdefault(attempt, consent)
    return found
