"""A small history for retention tests: cases at two banks, each with a recorded, transcribed
and flagged call and its note, born on a chosen day; real files in an archive folder."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compliance.retention import KindDays, RetentionPeriods
from store.enums import AttemptStatus, Direction, RecordingStatus, Speaker
from store.models import (
    Agent,
    CallAttempt,
    Case,
    ClientBank,
    CollectionNote,
    Flag,
    LiveUtterance,
    Person,
    Recording,
    Tombstone,
    Utterance,
)

BORN = datetime(2023, 3, 1, 9, tzinfo=UTC)
PERIODS = RetentionPeriods(
    KindDays(1000, 1000, 1100, 1100), {"cmb": {"recordings_days": 1500}}, "test-periods.toml"
)
"""Default: audio and transcripts 1000 days, notes and attempts 1100; cmb keeps audio 1500."""


@dataclass(frozen=True)
class Call:
    case_id: int
    account_no: str
    attempt_id: int
    recording_id: int
    note_id: int
    path: Path
    sha256: str


def _bank(session: Session, code: str) -> int:
    found = session.scalar(select(ClientBank.id).where(ClientBank.code == code))
    if found is not None:
        return found
    bank = ClientBank(code=code, name=code.upper())
    session.add(bank)
    session.flush()
    return bank.id


def _agent(session: Session) -> int:
    found = session.scalar(select(Agent.id).where(Agent.code == "r01"))
    if found is not None:
        return found
    agent = Agent(code="r01", name="R", sip_endpoint="PJSIP/r01")
    session.add(agent)
    session.flush()
    return agent.id


def add_call(
    session: Session,
    archive: Path,
    bank: str,
    account_no: str,
    at: datetime,
    audio: bytes | None = None,
) -> Call:
    """A case with one answered call at ``at``: attempt, recording (a file in ``archive``),
    two utterances, a flag, a live utterance and the agent's note."""
    debtor = Person(name="张三")
    session.add(debtor)
    session.flush()
    case = Case(
        client_bank_id=_bank(session, bank),
        account_no=account_no,
        debtor_id=debtor.id,
        amount_overdue_cents=100_00,
        days_past_due=40,
    )
    session.add(case)
    session.flush()
    agent = _agent(session)
    attempt = CallAttempt(
        case_id=case.id,
        person_id=debtor.id,
        e164="+8613800000000",
        agent_id=agent,
        direction=Direction.OUTBOUND,
        status=AttemptStatus.ANSWERED,
        reserved_at=at,
        ended_at=at + timedelta(minutes=2),
        ruleset_version="cn-default@test",
        decision_reason="",
        counters_seen={},
    )
    session.add(attempt)
    session.flush()
    content = audio if audio is not None else f"RIFF{account_no}".encode()
    sha = hashlib.sha256(content).hexdigest()
    path = archive / f"{at:%Y/%m/%d}" / sha[:2] / f"{sha}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    recording = Recording(
        call_attempt_id=attempt.id,
        sha256=sha,
        path=str(path),
        size_bytes=len(content),
        status=RecordingStatus.TRANSCRIBED,
        created_at=at + timedelta(minutes=2),
        transcribed_at=at + timedelta(minutes=5),
    )
    session.add(recording)
    session.flush()
    session.add_all(
        [
            Utterance(
                recording_id=recording.id, speaker=Speaker.AGENT, start_s=0, end_s=1, text="您好"
            ),
            Utterance(
                recording_id=recording.id, speaker=Speaker.CALLEE, start_s=1, end_s=2, text="嗯"
            ),
            Flag(
                recording_id=recording.id,
                category="threat",
                severity=3,
                speaker=Speaker.AGENT,
                start_s=0,
                end_s=1,
                evidence="您好",
                rule_id="t.1",
                detector_version="test",
            ),
            LiveUtterance(
                call_attempt_id=attempt.id,
                speaker=Speaker.AGENT,
                start_s=0,
                end_s=1,
                text="您好",
                partial=False,
                stored_at=at,
            ),
        ]
    )
    note = CollectionNote(
        case_id=case.id,
        call_attempt_id=attempt.id,
        agent_id=agent,
        outcome="promise",
        text="答应月底还款",
        created_at=at + timedelta(minutes=6),
    )
    session.add(note)
    session.flush()
    return Call(case.id, account_no, attempt.id, recording.id, note.id, path, sha)


def stored(session: Session, call: Call) -> dict[str, int]:
    """How many of the call's rows are still there, by kind."""
    return {
        "attempt": session.scalar(select(func.count()).where(CallAttempt.id == call.attempt_id))
        or 0,
        "recording": session.scalar(select(func.count()).where(Recording.id == call.recording_id))
        or 0,
        "transcript": session.scalar(
            select(func.count()).where(Utterance.recording_id == call.recording_id)
        )
        or 0,
        "note": session.scalar(select(func.count()).where(CollectionNote.id == call.note_id)) or 0,
    }


def tombstones(session: Session) -> list[Tombstone]:
    return list(session.scalars(select(Tombstone).order_by(Tombstone.id)))
