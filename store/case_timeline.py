"""One case as a timeline (案件时间线): its calls with their outcome, talk time, transcript
snippet and flags; its notes, promises, payments, holds, consents and complaints; and its
contacts with the last result on each. Issue 22, item 2.

Reads in the caller's session, one query per kind of row; the order is
:func:`compliance.case_timeline.order_timeline`'s. Whose flags a viewer sees is the scope
rule's (:func:`store.scope.visible_agent_ids`): an agent sees the flags and verdicts on
their own calls only, QA and admins every call's, a supervisor their teams' agents'. Whether
the viewer may open the case at all is the page's business, decided before this is called.

Full numbers never leave this module: every number and every text that may hold one
(a transcript line, a flag's evidence) is masked here (:mod:`store.pii`). Showing a
transcript snippet is a view of the recording's content, so the page audit-logs it
(:func:`audit_snippets`), as playback is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compliance.case_timeline import EntryKind, Event, order_timeline
from compliance.promises import PaymentMade, Promise, PromiseJudgement, promise_status
from store.audit import record_audit
from store.enums import AttemptStatus, Direction, NumberKind, Relation, Speaker, Verdict
from store.models import (
    Agent,
    CallAttempt,
    Case,
    CaseConsent,
    CollectionNote,
    Complaint,
    Flag,
    Hold,
    Payment,
    PhoneNumber,
    Recording,
    ReviewVerdict,
    User,
    Utterance,
)
from store.pii import mask_phone, mask_text
from store.scope import Viewer, visible_agent_ids

SNIPPET_LINES = 4
"""Transcript lines shown per call: the opening, enough to recall the call by."""


@dataclass(frozen=True)
class SnippetLine:
    speaker: Speaker
    start_s: float
    """Seconds from the start of the call."""
    text: str
    """Masked."""


@dataclass(frozen=True)
class FlagEntry:
    id: int
    category: str
    rule_id: str
    severity: int
    speaker: Speaker
    evidence: str
    """Masked."""
    verdict: Verdict | None
    """QA's latest verdict, if any."""
    reviewer: str | None


@dataclass(frozen=True)
class CallEntry:
    id: int
    direction: Direction
    status: AttemptStatus
    number: str
    """Masked."""
    relation: Relation | None
    """Who was called, when the number belongs to the case's debtor or a contact."""
    agent_code: str | None
    talk_s: float | None
    """Answered to hang-up; the recording's length when the dialer kept no end."""
    recording_id: int | None
    snippet: tuple[SnippetLine, ...]
    flags: tuple[FlagEntry, ...]
    word: str | None = None
    """The case file's own word for who was called (母亲), when it said more."""
    """Only those the viewer may see."""


@dataclass(frozen=True)
class PromiseEntry:
    note_id: int
    amount_cents: int
    due: date
    judgement: PromiseJudgement


Body = CallEntry | CollectionNote | PromiseEntry | Payment | Hold | CaseConsent | Complaint


@dataclass(frozen=True)
class NumberEntry:
    number: str
    """Masked."""
    kind: NumberKind


@dataclass(frozen=True)
class ContactEntry:
    name: str
    relation: Relation
    numbers: tuple[NumberEntry, ...]
    last_at: datetime | None
    """The last call to this person on this case."""
    last_status: AttemptStatus | None
    last_outcome: str | None
    word: str | None = None
    """The case file's own word for who it is (母亲), when it said more than ``relation``."""
    """The outcome its note recorded (a ``NoteOutcome`` value), if it has one."""


@dataclass(frozen=True)
class CaseTimeline:
    case: Case
    entries: list[Event[Body]]
    """Newest first."""
    contacts: list[ContactEntry]
    """The debtor first, then the contacts as imported."""

    @property
    def snippet_recordings(self) -> list[int]:
        """The recordings whose transcript the page shows (to audit-log)."""
        return [
            e.body.recording_id
            for e in self.entries
            if isinstance(e.body, CallEntry) and e.body.snippet and e.body.recording_id
        ]


def case_timeline(
    session: Session, case: Case, viewer: Viewer, now: datetime, zone: tzinfo
) -> CaseTimeline:
    """``case``'s timeline as ``viewer`` may see it; promises judged at ``now``, payment days
    placed at the start of the day on ``zone``'s clock (a bank's file gives no time)."""
    attempts = list(session.scalars(select(CallAttempt).where(CallAttempt.case_id == case.id)))
    notes = list(session.scalars(select(CollectionNote).where(CollectionNote.case_id == case.id)))
    payments = list(session.scalars(select(Payment).where(Payment.case_id == case.id)))
    events: list[Event[Body]] = [
        Event(a.reserved_at, EntryKind.CALL, a.id, call)
        for a, call in _calls(session, case, attempts, viewer)
    ]
    events += [Event(n.created_at, EntryKind.NOTE, n.id, n) for n in notes]
    events += _promises(notes, payments, now, zone)
    events += [
        Event(datetime.combine(p.paid_on, time(), zone), EntryKind.PAYMENT, p.id, p)
        for p in payments
    ]
    events += _holds(session, case.id)
    consents = session.scalars(select(CaseConsent).where(CaseConsent.case_id == case.id))
    events += [Event(c.requested_at, EntryKind.CONSENT, c.id, c) for c in consents]
    complaints = session.scalars(select(Complaint).where(Complaint.case_id == case.id))
    events += [Event(c.opened_at, EntryKind.COMPLAINT, c.id, c) for c in complaints]
    return CaseTimeline(case, order_timeline(events), _contacts(session, case, attempts, notes))


def audit_snippets(
    session: Session, actor: str, case_id: int, recording_ids: Iterable[int]
) -> None:
    """One audit row per recording whose transcript a page showed, in the caller's
    transaction (to commit before the page leaves, as a playback's row does)."""
    for recording_id in recording_ids:
        record_audit(
            session,
            actor,
            "transcript.snippet",
            object_type="recording",
            object_id=str(recording_id),
            detail={"case": case_id},
        )


def _calls(
    session: Session, case: Case, attempts: Sequence[CallAttempt], viewer: Viewer
) -> list[tuple[CallAttempt, CallEntry]]:
    ids = [a.id for a in attempts]
    recordings = _latest_recordings(session, ids)
    rec_ids = [r.id for r in recordings.values()]
    snippets = _snippets(session, rec_ids)
    seen = set(session.scalars(visible_agent_ids(viewer)))
    agent_of = {a.id: a.agent_id for a in attempts}
    flags = _flags(session, [r.id for a, r in recordings.items() if agent_of[a] in seen])
    codes = dict(session.execute(select(Agent.id, Agent.code)).all())
    relations = _relations(case)
    words = {c.person_id: c.relation_word for c in case.contacts if c.relation_word}
    found: list[tuple[CallAttempt, CallEntry]] = []
    for attempt in attempts:
        rec = recordings.get(attempt.id)
        talk = None
        if attempt.answered_at and attempt.ended_at:
            talk = (attempt.ended_at - attempt.answered_at).total_seconds()
        elif rec is not None:
            talk = rec.duration_s
        entry = CallEntry(
            attempt.id,
            attempt.direction,
            attempt.status,
            mask_phone(attempt.e164),
            relations.get(attempt.person_id),
            codes.get(attempt.agent_id) if attempt.agent_id else None,
            talk,
            rec.id if rec else None,
            snippets.get(rec.id, ()) if rec else (),
            flags.get(rec.id, ()) if rec else (),
            words.get(attempt.person_id),
        )
        found.append((attempt, entry))
    return found


def _relations(case: Case) -> dict[int, Relation]:
    found = {c.person_id: c.relation for c in case.contacts}
    found[case.debtor_id] = Relation.DEBTOR
    return found


def _latest_recordings(session: Session, attempt_ids: list[int]) -> dict[int, Recording]:
    """Attempt id → its newest recording (a re-recorded call keeps its first as well)."""
    rows = session.scalars(
        select(Recording)
        .where(Recording.call_attempt_id.in_(attempt_ids))
        .order_by(Recording.created_at, Recording.id)
    )
    return {r.call_attempt_id: r for r in rows if r.call_attempt_id is not None}


def _snippets(session: Session, recording_ids: list[int]) -> dict[int, tuple[SnippetLine, ...]]:
    """The first :data:`SNIPPET_LINES` lines of each transcript, numbered in the database so
    a long call's lines are not all read."""
    place = (
        func.row_number()
        .over(partition_by=Utterance.recording_id, order_by=(Utterance.start_s, Utterance.id))
        .label("place")
    )
    ranked = (
        select(Utterance.recording_id, Utterance.speaker, Utterance.start_s, Utterance.text, place)
        .where(Utterance.recording_id.in_(recording_ids))
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.recording_id, ranked.c.speaker, ranked.c.start_s, ranked.c.text)
        .where(ranked.c.place <= SNIPPET_LINES)
        .order_by(ranked.c.recording_id, ranked.c.place)
    )
    found: dict[int, list[SnippetLine]] = {}
    for recording_id, speaker, start_s, text in rows:
        found.setdefault(recording_id, []).append(SnippetLine(speaker, start_s, mask_text(text)))
    return {k: tuple(v) for k, v in found.items()}


def _flags(session: Session, recording_ids: list[int]) -> dict[int, tuple[FlagEntry, ...]]:
    rows = session.scalars(
        select(Flag).where(Flag.recording_id.in_(recording_ids)).order_by(Flag.start_s, Flag.id)
    ).all()
    latest: dict[int, tuple[Verdict | None, str | None]] = {}
    verdicts = session.execute(
        select(ReviewVerdict.flag_id, ReviewVerdict.verdict, User.username)
        .join(User, User.id == ReviewVerdict.reviewer_id)
        .where(ReviewVerdict.flag_id.in_([f.id for f in rows]))
        .order_by(ReviewVerdict.created_at, ReviewVerdict.id)
    )
    for flag_id, ruled, by in verdicts:
        latest[flag_id] = (ruled, by)
    found: dict[int, list[FlagEntry]] = {}
    for f in rows:
        verdict, reviewer = latest.get(f.id, (None, None))
        entry = FlagEntry(
            f.id,
            f.category,
            f.rule_id,
            f.severity,
            f.speaker,
            mask_text(f.evidence),
            verdict,
            reviewer,
        )
        found.setdefault(f.recording_id, []).append(entry)
    return {k: tuple(v) for k, v in found.items()}


def _promises(
    notes: Sequence[CollectionNote], payments: Sequence[Payment], now: datetime, zone: tzinfo
) -> list[Event[Body]]:
    made = [PaymentMade(p.amount_cents, p.paid_on) for p in payments]
    found: list[Event[Body]] = []
    for note in notes:
        if note.promised_amount_cents and note.promised_date:
            promise = Promise(note.promised_amount_cents, note.promised_date, note.created_at)
            judged = promise_status(promise, made, now, zone)
            body = PromiseEntry(note.id, note.promised_amount_cents, note.promised_date, judged)
            found.append(Event(note.created_at, EntryKind.PROMISE, note.id, body))
    return found


def _holds(session: Session, case_id: int) -> list[Event[Body]]:
    found: list[Event[Body]] = []
    for hold in session.scalars(select(Hold).where(Hold.case_id == case_id)):
        found.append(Event(hold.placed_at, EntryKind.HOLD, hold.id, hold))
        if hold.cleared_at is not None:
            found.append(Event(hold.cleared_at, EntryKind.HOLD_CLEARED, hold.id, hold))
    return found


def _contacts(
    session: Session, case: Case, attempts: Sequence[CallAttempt], notes: Sequence[CollectionNote]
) -> list[ContactEntry]:
    people = [(case.debtor, Relation.DEBTOR, None)] + [
        (c.person, c.relation, c.relation_word) for c in case.contacts
    ]
    outcome = {n.call_attempt_id: n.outcome for n in notes}
    found = []
    for person, relation, word in people:
        numbers = session.scalars(
            select(PhoneNumber).where(PhoneNumber.person_id == person.id).order_by(PhoneNumber.id)
        )
        called = [a for a in attempts if a.person_id == person.id]
        last = max(called, key=lambda a: (a.reserved_at, a.id), default=None)
        found.append(
            ContactEntry(
                person.name,
                relation,
                tuple(NumberEntry(mask_phone(n.e164), n.kind) for n in numbers),
                last.reserved_at if last else None,
                last.status if last else None,
                outcome.get(last.id) if last else None,
                word,
            )
        )
    return found
