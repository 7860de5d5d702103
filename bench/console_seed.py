"""A console's worth of data for the load benchmark: cases, users, recorded calls, open notes.

Calls are the labelled test calls stored through the recorder's intake and the
pipeline's claim/finish (their labelled lines standing in for what Whisper heard), so
the QA queue and call pages show real flags.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from compliance.detector import Detector
from compliance.lexicon import load_lexicon
from console.app import App
from console.detection import detect_with
from console.users import add_user
from recorder.intake import CallMetadata, store_recording
from store.case_import import import_cases
from store.enums import AttemptStatus, Direction, Role
from store.models import Agent, CallAttempt, Case, PhoneNumber
from transcriber import TranscribedUtterance
from transcriber.pipeline import PipelineSettings, claim, finish

ROOT = Path(__file__).resolve().parent.parent
CALLS = ROOT / "tests" / "fixtures" / "calls"
SAMPLE = ROOT / "config" / "samples" / "cases.csv"
PASSWORD = "bench-password-1"
DAY = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, a Tuesday


@dataclass(frozen=True)
class Users:
    agents: list[str]
    qa: list[str]
    admins: list[str]


def seed(app: App, agents: int, qa: int, admins: int, open_notes: int) -> Users:
    """Users of each role (agent ``agentNN`` on landline ``ANN``), the sample cases, the
    labelled calls recorded by the agents, and ``open_notes`` finished calls per agent that
    still need their note."""
    import_cases(SAMPLE, app.sessions, "bench")
    users = Users(
        [f"agent{n:02d}" for n in range(1, agents + 1)],
        [f"qa{n:02d}" for n in range(1, qa + 1)],
        [f"admin{n:02d}" for n in range(1, admins + 1)],
    )
    with app.sessions.begin() as session:
        for n, name in enumerate(users.agents, 1):
            session.add(Agent(code=f"A{n:02d}", name=name, sip_endpoint=f"PJSIP/A{n:02d}"))
        session.flush()
        for n, name in enumerate(users.agents, 1):
            add_user(session, name, Role.AGENT, PASSWORD, "bench", f"A{n:02d}")
        for name in users.qa:
            add_user(session, name, Role.QA, PASSWORD, "bench")
        for name in users.admins:
            add_user(session, name, Role.ADMIN, PASSWORD, "bench")
    targets = _targets(app)
    _record_calls(app, targets)
    _open_calls(app, targets, agents, open_notes)
    return users


def _targets(app: App) -> list[tuple[int, int, int, str]]:
    """(case, person, number, e164) of each case's debtor numbers."""
    with app.reads() as session:
        rows = session.execute(
            select(Case.id, PhoneNumber.person_id, PhoneNumber.id, PhoneNumber.e164)
            .join(PhoneNumber, PhoneNumber.person_id == Case.debtor_id)
            .order_by(Case.id, PhoneNumber.id)
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]


def _answered(target: tuple[int, int, int, str], agent_id: int, at: datetime) -> CallAttempt:
    case_id, person_id, number_id, e164 = target
    return CallAttempt(
        case_id=case_id,
        person_id=person_id,
        phone_number_id=number_id,
        e164=e164,
        agent_id=agent_id,
        direction=Direction.OUTBOUND,
        status=AttemptStatus.ANSWERED,
        reserved_at=at,
        answered_at=at,
        ended_at=at + timedelta(seconds=60),
        ruleset_version="bench",
    )


def _record_calls(app: App, targets: list[tuple[int, int, int, str]]) -> None:
    detector = detect_with(Detector(load_lexicon("cn-default")))
    labelled = sorted(CALLS.glob("*.json"))
    for index, path in enumerate(labelled):
        call = json.loads(path.read_text(encoding="utf-8"))
        at = DAY - timedelta(days=1) + timedelta(minutes=5 * index)
        with app.sessions.begin() as session:
            agent_id = session.scalars(select(Agent.id).order_by(Agent.id)).all()
            attempt = _answered(targets[index % len(targets)], agent_id[index % len(agent_id)], at)
            session.add(attempt)
            session.flush()
            attempt_id = attempt.id
        intake = store_recording(
            app.sessions,
            path.with_suffix(".wav"),
            app.paths.recordings,
            at,
            CallMetadata(call_attempt_id=attempt_id, agent_channel=call["agent_channel"]),
        )
        heard = [
            TranscribedUtterance(u["speaker"], u["start"], u["end"], u["text"], -0.1)
            for u in call["transcript"]
        ]
        held = claim(app.sessions, intake.recording_id, "bench", at, PipelineSettings())
        if held is not None:
            flags = detector(heard, held.contact_type)
            finish(app.sessions, held, "bench", heard, flags, "labelled", at)


def _open_calls(
    app: App, targets: list[tuple[int, int, int, str]], agents: int, per_agent: int
) -> None:
    with app.sessions.begin() as session:
        ids = session.scalars(select(Agent.id).order_by(Agent.id)).all()[:agents]
        for n, agent_id in enumerate(ids):
            for k in range(per_agent):
                target = targets[(n * per_agent + k) % len(targets)]
                session.add(_answered(target, agent_id, DAY + timedelta(seconds=n * 60 + k)))
