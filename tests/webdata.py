"""A console's worth of data: users of every role, agents, and recorded, flagged calls."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.detector import Detector
from compliance.lexicon import load_lexicon
from config import Settings
from config.settings import DatabaseSettings, PathSettings
from console.app import App, build_app
from console.detection import detect_with
from console.teams import add_team, assign_agent, set_supervisor
from console.users import add_user
from recorder.intake import CallMetadata, store_recording
from store.db import SessionFactory
from store.enums import AttemptStatus, Direction, Role
from store.models import Agent, CallAttempt, PhoneNumber
from tests.conftest import ROOT
from tests.dbdata import Target, debtor_targets, load_sample
from transcriber import TranscribedUtterance
from transcriber.pipeline import PipelineSettings, claim, finish

CALLS = ROOT / "tests" / "fixtures" / "calls"
PASSWORD = "correct-horse-1"
USERS = {
    "admin1": Role.ADMIN,
    "qa1": Role.QA,
    "agent1": Role.AGENT,
    "agent2": Role.AGENT,
    "sup1": Role.SUPERVISOR,
}
TEAMS = {"T1": ("A01",), "T2": ("A02",)}
"""Team → its agents; sup1 leads T1 only."""
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
    """Sample cases, agents A01/A02 in teams T1/T2, a user per role (supervisor sup1 leads
    T1), and ``call_ids`` recorded by A01.

    The first ``agent_calls`` calls have no collection note yet, so agent1 owes them.
    """
    sessions = app.sessions
    load_sample(sessions)
    with sessions.begin() as session:
        for code in ("A01", "A02"):
            session.add(Agent(code=code, name=f"Agent {code}", sip_endpoint=f"PJSIP/{code}"))
        session.flush()
        for name, role in USERS.items():
            linked = {"agent1": "A01", "agent2": "A02"}.get(name)
            add_user(session, name, role, PASSWORD, "test", linked)
        for team, members in TEAMS.items():
            add_team(session, team, f"Team {team}", "test")
            for code in members:
                assign_agent(session, code, team, "test")
        set_supervisor(session, "sup1", "T1", "test")
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


def answered_call(
    session: Session,
    case_id: int,
    number: PhoneNumber,
    agent_id: int,
    at: datetime,
    seconds: float = 60.0,
) -> CallAttempt:
    """An outbound call that was answered and is over, as the dialer leaves it."""
    row = CallAttempt(
        case_id=case_id,
        person_id=number.person_id,
        phone_number_id=number.id,
        e164=number.e164,
        agent_id=agent_id,
        direction=Direction.OUTBOUND,
        status=AttemptStatus.ANSWERED,
        reserved_at=at,
        answered_at=at,
        ended_at=at + timedelta(seconds=seconds),
        ruleset_version="test",
    )
    session.add(row)
    session.flush()
    return row


def record_labelled(app: App, call_id: str, attempt: int, at: datetime) -> int:
    """The labelled call ``call_id`` recorded and transcribed for ``attempt``, as the
    pipeline leaves it (its labelled lines standing in for Whisper); the recording's id."""
    detector = Detector(load_lexicon("cn-default"))
    return _recorded(app, app.sessions, detector, call_id, attempt, at)


def _attempt(sessions: SessionFactory, target: Target, at: datetime) -> int:
    with sessions.begin() as session:
        agent_id = session.scalars(select(Agent.id).where(Agent.code == "A01")).one()
        number = session.get_one(PhoneNumber, target.phone_number_id)
        return answered_call(session, target.case_id, number, agent_id, at).id


def _recorded(
    app: App,
    sessions: SessionFactory,
    detector: Detector,
    call_id: str,
    attempt: int,
    at: datetime,
) -> int:
    """The call's recording through the pipeline's own intake and storing, its labelled lines
    standing in for what Whisper heard."""
    labelled = json.loads((CALLS / f"{call_id}.json").read_text(encoding="utf-8"))
    intake = store_recording(
        sessions,
        CALLS / f"{call_id}.wav",
        app.archive,
        at,
        CallMetadata(call_attempt_id=attempt, agent_channel=labelled["agent_channel"]),
    )
    heard = [
        TranscribedUtterance(u["speaker"], u["start"], u["end"], u["text"], -0.1)
        for u in labelled["transcript"]
    ]
    held = claim(sessions, intake.recording_id, "seed", at, PipelineSettings())
    assert held is not None
    found = detect_with(detector)(heard, held.contact_type)
    outcome = finish(
        sessions, held, "seed", heard, found.flags, "labelled", at, review=found.review
    )
    assert outcome.status == "transcribed", outcome
    return intake.recording_id
