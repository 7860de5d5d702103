"""One recording through the pipeline: claim it, transcribe it, store utterances and flags
(and the weak matches the detector leaves to a person, as review items).

The database is the source of truth, the queue only a doorbell. A worker
claims a recording with one conditional UPDATE (a lease: ``claimed_by``,
``claimed_at``, ``tries + 1``); nothing else is written until the whole result
is stored in one transaction that also flips the status. So a worker killed
mid-file leaves no partial transcript: its lease expires, the sweep finds the
recording again, and another worker does it from the start. A file that
fails (or kills its worker) ``max_tries`` times ends ``failed``, not looping.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, CursorResult, Result, and_, or_, select, update

from recorder.archive import Archive
from recorder.audio import RecordingAudio, parse_recording, read_recording
from recorder.errors import RecorderError
from store.callee_events import EventsApplied, apply_callee_events
from store.contacts import contact_type
from store.db import SessionFactory
from store.enums import RecordingStatus, Speaker
from store.live import whole_live_transcript
from store.models import CallAttempt, Flag, Recording, ReviewItem, Utterance
from transcriber.asr import TranscribedUtterance, Transcriber
from transcriber.errors import TranscriberError

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class PipelineSettings:
    lease: timedelta = timedelta(minutes=10)
    """How long a claim holds before another worker may take the recording over."""
    max_tries: int = 3
    """Claims per recording before it is marked failed."""
    reuse_live: bool = False
    """Keep the live follower's transcript of a call it heard whole instead of decoding
    the recording again (``[live] after_call = "reuse"``)."""


class FoundSpan(Protocol):
    """What the detector says of a stretch of speech, flag or weak match alike."""

    @property
    def category(self) -> str: ...
    @property
    def rule_id(self) -> str: ...
    @property
    def severity(self) -> int: ...
    @property
    def speaker(self) -> str: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def evidence(self) -> str: ...
    @property
    def char_start(self) -> int: ...
    @property
    def char_end(self) -> int: ...
    @property
    def detector_version(self) -> str: ...


class FoundFlag(FoundSpan, Protocol):
    """What a detector reports (compliance.detector.Flag has these fields)."""

    @property
    def match(self) -> str: ...


class FoundReview(FoundSpan, Protocol):
    """A weak match the detector could not decide (compliance.detector.Review, with the rule's
    severity and the detector's version added by whoever adapts the detector)."""

    @property
    def cost(self) -> float: ...


@dataclass(frozen=True)
class Found:
    """What the detector says about one recording."""

    flags: Sequence[FoundFlag]
    review: Sequence[FoundReview] = ()
    """Not flags: stored apart, for QA to listen to."""


Detect = Callable[[Sequence[TranscribedUtterance], str], Found]
"""(utterances, contact type) → flags and review items."""


@dataclass(frozen=True)
class Claim:
    recording_id: int
    path: Path
    agent_channel: int | None
    contact_type: str
    tries: int
    call_attempt_id: int | None = None
    sha256: str = ""
    """The plain audio's, as stored; what the archive checks the file against."""


NO_EVENTS = EventsApplied((), ())


@dataclass(frozen=True)
class Outcome:
    recording_id: int
    status: str
    """transcribed | failed | retry | skipped (done already, or claimed by another worker)."""
    utterances: tuple[TranscribedUtterance, ...] = ()
    flags: int = 0
    events: EventsApplied = NO_EVENTS
    error: str | None = None
    review: int = 0
    """Review items stored (weak matches for QA to listen to; never counted in ``flags``)."""


def _claimable(now: datetime, settings: PipelineSettings) -> ColumnElement[bool]:
    return and_(
        Recording.status == RecordingStatus.STORED,
        Recording.tries < settings.max_tries,
        or_(Recording.claimed_at.is_(None), Recording.claimed_at < now - settings.lease),
    )


def pending_recordings(
    sessions: SessionFactory, now: datetime, settings: PipelineSettings, limit: int = 1000
) -> list[int]:
    """Recordings waiting for a worker; those that used up their tries are marked failed."""
    expired = now - settings.lease
    with sessions.begin() as session:
        session.execute(
            update(Recording)
            .where(
                Recording.status == RecordingStatus.STORED,
                Recording.tries >= settings.max_tries,
                or_(Recording.claimed_at.is_(None), Recording.claimed_at < expired),
            )
            .values(
                status=RecordingStatus.FAILED,
                error=f"gave up after {settings.max_tries} tries (a worker died or timed out)",
                claimed_by=None,
                claimed_at=None,
            )
        )
        query = select(Recording.id).where(_claimable(now, settings))
        return list(session.scalars(query.order_by(Recording.id).limit(limit)))


def claim(
    sessions: SessionFactory,
    recording_id: int,
    worker: str,
    now: datetime,
    settings: PipelineSettings,
) -> Claim | None:
    with sessions.begin() as session:
        taken = _changed(
            session.execute(
                update(Recording)
                .where(Recording.id == recording_id, _claimable(now, settings))
                .values(claimed_by=worker, claimed_at=now, tries=Recording.tries + 1)
            )
        )
        if taken != 1:
            return None
        row = session.get_one(Recording, recording_id)
        return Claim(
            recording_id,
            Path(row.path),
            row.agent_channel,
            contact_type(session, row),
            row.tries,
            row.call_attempt_id,
            row.sha256,
        )


def _changed(result: Result[Any]) -> int:
    """Rows an UPDATE changed (its CursorResult knows; the generic Result type does not say)."""
    return int(cast(CursorResult[Any], result).rowcount)


def finish(  # noqa: PLR0917 (the result of one recording, stored together)
    sessions: SessionFactory,
    held: Claim,
    worker: str,
    utterances: Sequence[TranscribedUtterance],
    flags: Sequence[FoundFlag],
    model_name: str,
    now: datetime,
    *,
    review: Sequence[FoundReview] = (),
) -> Outcome:
    """Store the whole result at once, if the claim is still this worker's."""
    with sessions.begin() as session:
        flipped = _changed(
            session.execute(
                update(Recording)
                .where(
                    Recording.id == held.recording_id,
                    Recording.claimed_by == worker,
                    Recording.status == RecordingStatus.STORED,
                )
                .values(
                    status=RecordingStatus.TRANSCRIBED,
                    transcribed_at=now,
                    model_name=model_name[:80],
                    claimed_by=None,
                    claimed_at=None,
                    error=None,
                )
            )
        )
        if flipped != 1:
            return Outcome(held.recording_id, "skipped", error="claim lost to another worker")
        session.add_all(
            Utterance(
                recording_id=held.recording_id,
                speaker=Speaker(u.speaker),
                start_s=u.start,
                end_s=u.end,
                text=u.text,
                avg_logprob=u.avg_logprob,
                confidence=u.confidence,
                alternatives=list(u.alternatives) or None,
            )
            for u in utterances
        )
        rows = [_flag_row(held.recording_id, flag, now) for flag in flags]
        session.add_all(rows)
        session.add_all(_review_row(held.recording_id, item, now) for item in review)
        session.flush()
        row = session.get_one(Recording, held.recording_id)
        attempt = session.get(CallAttempt, row.call_attempt_id) if row.call_attempt_id else None
        events = apply_callee_events(session, attempt, rows, now)
    return Outcome(
        held.recording_id, "transcribed", tuple(utterances), len(rows), events, review=len(review)
    )


def _flag_row(recording_id: int, flag: FoundFlag, now: datetime) -> Flag:
    return Flag(
        recording_id=recording_id,
        category=flag.category,
        severity=flag.severity,
        speaker=Speaker(flag.speaker),
        start_s=flag.start,
        end_s=flag.end,
        evidence=flag.evidence,
        rule_id=flag.rule_id[:80],
        detector_version=flag.detector_version[:40],
        match_start=flag.char_start,
        match_end=flag.char_end,
        match_kind=flag.match[:16],
        created_at=now,
    )


def _review_row(recording_id: int, item: FoundReview, now: datetime) -> ReviewItem:
    return ReviewItem(
        recording_id=recording_id,
        category=item.category,
        rule_id=item.rule_id[:80],
        severity=item.severity,
        speaker=Speaker(item.speaker),
        start_s=item.start,
        end_s=item.end,
        evidence=item.evidence,
        match_start=item.char_start,
        match_end=item.char_end,
        cost=item.cost,
        detector_version=item.detector_version[:40],
        created_at=now,
    )


def release(
    sessions: SessionFactory, held: Claim, worker: str, error: str, settings: PipelineSettings
) -> Outcome:
    """After a failure: retry later, or mark failed when the tries are used up."""
    final = held.tries >= settings.max_tries
    with sessions.begin() as session:
        session.execute(
            update(Recording)
            .where(Recording.id == held.recording_id, Recording.claimed_by == worker)
            .values(
                status=RecordingStatus.FAILED if final else RecordingStatus.STORED,
                error=error,
                claimed_by=None,
                claimed_at=None,
            )
        )
    return Outcome(held.recording_id, "failed" if final else "retry", error=error)


@dataclass
class RecordingProcessor:
    """Claim → transcribe → detect → store, for one worker (model loaded once)."""

    sessions: SessionFactory
    transcriber: Transcriber
    detect: Detect
    worker: str
    clock: Clock
    model_name: str
    settings: PipelineSettings = PipelineSettings()
    archive: Archive | None = None
    """Reads the archived files, checked against their sha256 and decrypted in memory;
    None reads them as plain WAV files (tests that hand over files of their own)."""

    def process(self, recording_id: int) -> Outcome:
        return self.process_batch([recording_id])[0]

    def process_batch(self, recording_ids: Sequence[int]) -> list[Outcome]:
        """Several recordings through one batched recognition; each is claimed and stored apart.

        A file that cannot be read fails (or waits for a retry) alone: the rest go on.
        """
        outcomes: dict[int, Outcome] = {}
        ready: list[tuple[Claim, RecordingAudio]] = []
        heard_live: list[tuple[Claim, list[TranscribedUtterance]]] = []
        for recording_id in recording_ids:
            held = claim(self.sessions, recording_id, self.worker, self.clock(), self.settings)
            if held is None:
                outcomes[recording_id] = Outcome(recording_id, "skipped")
                continue
            live = self._live_transcript(held)
            if live is not None:
                heard_live.append((held, live))
                continue
            try:
                ready.append((held, self._audio(held)))
            except (RecorderError, OSError, ValueError) as exc:
                outcomes[recording_id] = self._failed(held, exc)
        try:
            heard = self.transcriber.transcribe_many(
                [(audio, held.agent_channel) for held, audio in ready]
            )
        except (TranscriberError, ValueError) as exc:
            for held, _ in ready:
                outcomes[held.recording_id] = self._failed(held, exc)
            heard, ready = [], []
        decoded = [(held, said) for (held, _), said in zip(ready, heard, strict=True)]
        for held, utterances in [*decoded, *heard_live]:
            outcomes[held.recording_id] = self._store(held, utterances)
        return [outcomes[i] for i in recording_ids]

    def _audio(self, held: Claim) -> RecordingAudio:
        if self.archive is None:
            return read_recording(held.path)
        return parse_recording(self.archive.read_all(held.path, held.sha256), held.path)

    def _live_transcript(self, held: Claim) -> list[TranscribedUtterance] | None:
        """The live follower's transcript, when it heard the whole call and reuse is on."""
        if not self.settings.reuse_live or held.call_attempt_id is None:
            return None
        with self.sessions() as session:
            rows = whole_live_transcript(session, held.call_attempt_id)
            if rows is None:
                return None
            return [
                TranscribedUtterance(r.speaker.value, r.start_s, r.end_s, r.text, r.avg_logprob)
                for r in rows
            ]

    def _store(self, held: Claim, utterances: list[TranscribedUtterance]) -> Outcome:
        try:
            found = self.detect(utterances, held.contact_type)
        except ValueError as exc:
            return self._failed(held, exc)
        return finish(
            self.sessions,
            held,
            self.worker,
            utterances,
            found.flags,
            self.model_name,
            self.clock(),
            review=found.review,
        )

    def _failed(self, held: Claim, exc: Exception) -> Outcome:
        log.warning("recording %s: %s", held.recording_id, exc)
        return release(self.sessions, held, self.worker, str(exc), self.settings)
