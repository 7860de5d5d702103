"""A console's worth of data: users of every role, agents, and recorded, flagged calls."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from compliance.detector import CallContext, Detector
from compliance.detector import Utterance as Said
from compliance.lexicon import load_lexicon
from config import Settings
from config.settings import DatabaseSettings, PathSettings
from console.app import App, build_app
from console.users import add_user
from recorder.intake import CallMetadata, store_recording
from store.callee_events import apply_callee_events
from store.db import SessionFactory
from store.enums import AttemptStatus, Direction, RecordingStatus, Role, Speaker
from store.models import Agent, CallAttempt, Flag, Recording, Utterance
from tests.conftest import ROOT
from tests.dbdata import debtor_targets, load_sample

CALLS = ROOT / "tests" / "fixtures" / "calls"
PASSWORD = "correct-horse-1"
USERS = {"admin1": Role.ADMIN, "qa1": Role.QA, "agent1": Role.AGENT, "agent2": Role.AGENT}
# When the seeded calls happened: a Tuesday, 10:00 in Shanghai.
CALL_DAY = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Seed:
    app: App
    recordings: dict[str, int]
    """Fixture call id → recording id."""
    attempts: dict[str, int]


def console_app(db_url: str, var_dir: Path) -> App:
    settings = Settings(database=DatabaseSettings(url=db_url), paths=PathSettings(var_dir=var_dir))
    return build_app(settings)


def seed_console(app: App, call_ids: list[str], agent_calls: int = 0) -> Seed:
    """Sample cases, agents A01/A02, a user per role, and ``call_ids`` recorded by A01.

    The first ``agent_calls`` calls have no collection note yet, so agent1 owes them.
    """
    sessions = app.sessions
    load_sample(sessions)
    with sessions.begin() as session:
        for code in ("A01", "A02"):
            session.add(Agent(code=code, name=f"Agent {code}", sip_endpoint=f"PJSIP/{code}"))
        session.flush()
        for name, role in USERS.items():
            code = {"agent1": "A01", "agent2": "A02"}.get(name)
            add_user(session, name, role, PASSWORD, "test", code)
    targets = debtor_targets(sessions)
    detector = Detector(load_lexicon("cn-default"))
    recordings: dict[str, int] = {}
    attempts: dict[str, int] = {}
    for index, call_id in enumerate(call_ids):
        at = CALL_DAY + timedelta(minutes=7 * index)
        attempt = _attempt(sessions, targets[index % len(targets)], at)
        attempts[call_id] = attempt
        recordings[call_id] = _recorded(app, sessions, detector, call_id, attempt, at)
    return Seed(app, recordings, attempts)


def _attempt(sessions: SessionFactory, target: object, at: datetime) -> int:
    with sessions.begin() as session:
        agent_id = session.query(Agent.id).filter(Agent.code == "A01").scalar()
        row = CallAttempt(
            case_id=target.case_id,  # type: ignore[attr-defined]
            person_id=target.person_id,  # type: ignore[attr-defined]
            phone_number_id=target.phone_number_id,  # type: ignore[attr-defined]
            e164=target.e164,  # type: ignore[attr-defined]
            agent_id=agent_id,
            direction=Direction.OUTBOUND,
            status=AttemptStatus.ANSWERED,
            reserved_at=at,
            answered_at=at + timedelta(seconds=8),
            ended_at=at + timedelta(seconds=60),
            ruleset_version="test",
        )
        session.add(row)
        session.flush()
        return row.id


def _recorded(
    app: App,
    sessions: SessionFactory,
    detector: Detector,
    call_id: str,
    attempt: int,
    at: datetime,
) -> int:
    labelled = json.loads((CALLS / f"{call_id}.json").read_text(encoding="utf-8"))
    archive = app.settings.paths.var_dir / "recordings"
    intake = store_recording(
        sessions,
        CALLS / f"{call_id}.wav",
        archive,
        at,
        CallMetadata(call_attempt_id=attempt, agent_channel=labelled["agent_channel"]),
    )
    said = [Said(u["speaker"], u["start"], u["end"], u["text"]) for u in labelled["transcript"]]
    found = detector.detect(said, CallContext(labelled["contact_type"])).flags
    with sessions.begin() as session:
        rec = session.get_one(Recording, intake.recording_id)
        rec.status, rec.transcribed_at = RecordingStatus.TRANSCRIBED, at
        for u in said:
            session.add(
                Utterance(
                    recording_id=rec.id,
                    speaker=Speaker(u.speaker),
                    start_s=u.start,
                    end_s=u.end,
                    text=u.text,
                )
            )
        rows = [
            Flag(
                recording_id=rec.id,
                category=f.category,
                severity=f.severity,
                speaker=Speaker(f.speaker),
                start_s=f.start,
                end_s=f.end,
                evidence=f.evidence,
                rule_id=f.rule_id,
                detector_version=f.detector_version,
                match_start=f.char_start,
                match_end=f.char_end,
                created_at=at,
            )
            for f in found
        ]
        session.add_all(rows)
        session.flush()
        apply_callee_events(session, session.get(CallAttempt, attempt), rows, at)
        return rec.id
