"""What the approved-phrases panel needs to know of each case (issue 22, item 4): who its
third parties are, the number about to be dialled, what was said or written on it that a
situation's cues may match, its complaints, refusals and broken promises. Reads only, a few
queries per page of cases (never one per case); :mod:`compliance.phrases.choose` decides.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, tzinfo
from typing import TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from compliance.complaints import ComplaintStatus
from compliance.phrases import CaseFacts, ComplaintSeen, Said
from compliance.promises import PromiseStatus
from store.case_queue import CaseFile
from store.enums import Relation, Speaker
from store.models import CallAttempt, CollectionNote, Complaint, Recording, Utterance
from store.notes import NoteOutcome

MAX_LINES_PER_CASE = 20
"""Lines with a cue kept per case, newest first: the panel names two at most."""


def wording_facts(  # noqa: PLR0917 (what the facts are read from)
    session: Session,
    files: Mapping[int, CaseFile],
    cues: Collection[str],
    zone: tzinfo,
    who: Mapping[Relation, str],
    dialling: Mapping[int, int] | None = None,
) -> dict[int, CaseFacts]:
    """The facts of each case in ``files`` (from :func:`store.case_queue.case_files`).

    ``cues``: the words any situation listens for; only lines and notes holding one are
    read. ``who`` names each relation in the agent's words. ``dialling``: case id → the
    phone number id about to be dialled (or just dialled) on it.
    """
    dialling = dialling or {}
    said: dict[int, list[Said]] = {case_id: [] for case_id in files}
    complaints: dict[int, list[ComplaintSeen]] = {case_id: [] for case_id in files}
    refused: dict[int, datetime] = {}
    for chunk in _chunks(sorted(files)):
        _read_notes(session, chunk, cues, zone, (said, complaints, refused))
        for case_id, opened, status in session.execute(
            select(Complaint.case_id, Complaint.opened_at, Complaint.status).where(
                Complaint.case_id.in_(chunk)
            )
        ):
            seen = ComplaintSeen(
                opened.astimezone(zone).date(), "register", status == ComplaintStatus.OPEN
            )
            complaints[case_id].append(seen)
        for case_id, at, text in _callee_lines(session, chunk, cues):
            if len(said[case_id]) < MAX_LINES_PER_CASE:
                said[case_id].append(Said("call", at.astimezone(zone).date(), text))
    facts = {}
    for case_id, file in files.items():
        others = [who[n.relation] for n in file.numbers if n.relation != Relation.DEBTOR]
        target = next((n for n in file.numbers if n.phone_number_id == dialling.get(case_id)), None)
        broken = file.promise is not None and file.promise.judgement.status == PromiseStatus.BROKEN
        facts[case_id] = CaseFacts(
            third_parties=tuple(dict.fromkeys(others)),
            dialling_third_party=who[target.relation]
            if target is not None and target.relation != Relation.DEBTOR
            else None,
            said=tuple(said[case_id]),
            complaints=tuple(complaints[case_id]),
            refused_on=refused[case_id].astimezone(zone).date() if case_id in refused else None,
            broken_promise_due=file.promise.day if broken and file.promise else None,
        )
    return facts


def _read_notes(
    session: Session,
    chunk: list[int],
    cues: Collection[str],
    zone: tzinfo,
    into: tuple[dict[int, list[Said]], dict[int, list[ComplaintSeen]], dict[int, datetime]],
) -> None:
    said, complaints, refused = into
    rows = session.execute(
        select(
            CollectionNote.case_id,
            CollectionNote.created_at,
            CollectionNote.outcome,
            CollectionNote.text,
        )
        .where(
            CollectionNote.case_id.in_(chunk),
            or_(
                CollectionNote.outcome.in_([NoteOutcome.REFUSED, NoteOutcome.COMPLAINT]),
                *(CollectionNote.text.contains(cue, autoescape=True) for cue in sorted(cues)),
            ),
        )
        .order_by(CollectionNote.created_at.desc(), CollectionNote.id.desc())
    )
    for case_id, at, outcome, text in rows:
        day = at.astimezone(zone).date()
        if outcome == NoteOutcome.REFUSED and case_id not in refused:
            refused[case_id] = at
        if outcome == NoteOutcome.COMPLAINT:
            complaints[case_id].append(ComplaintSeen(day, "note"))
        if any(cue in text for cue in cues) and len(said[case_id]) < MAX_LINES_PER_CASE:
            said[case_id].append(Said("note", day, text))


def _callee_lines(
    session: Session, chunk: list[int], cues: Collection[str]
) -> Iterable[tuple[int, datetime, str]]:
    """The called party's lines on the cases' calls that hold a cue, newest call first."""
    if not cues:
        return []
    rows = session.execute(
        select(CallAttempt.case_id, CallAttempt.reserved_at, Utterance.text)
        .join(Recording, Recording.call_attempt_id == CallAttempt.id)
        .join(Utterance, Utterance.recording_id == Recording.id)
        .where(
            CallAttempt.case_id.in_(chunk),
            Utterance.speaker == Speaker.CALLEE,
            or_(*(Utterance.text.contains(cue, autoescape=True) for cue in sorted(cues))),
        )
        .order_by(CallAttempt.reserved_at.desc(), Utterance.id)
    )
    return [(case_id, at, text) for case_id, at, text in rows]


T = TypeVar("T")


def _chunks(values: list[T], size: int = 500) -> Iterable[list[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
