"""The demo's calls: a progressive campaign through the embedded Asterisk to simulated phones
that play the project's labelled calls, then transcription, detection and callee events.

Each demo run simulates the next working day at 10:00 (so earlier runs' calls,
holds and do-not-call entries count, as they would in real life).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from sqlalchemy import func, select

from compliance.policy import Profile
from console.app import App
from console.demo_line import UNANSWERED, Callees, DemoClock
from dialer.agi.thread import AgiThread
from dialer.calls import DialItem
from dialer.gate import PolicyJudge
from dialer.sandbox import Sandbox
from dialer.sandbox.campaigns import Staffing, sandbox_campaign
from recorder.intake import CallMetadata
from store.models import Agent, CallAttempt, DoNotCall, Flag, Hold, Recording
from store.pii import mask_phone
from store.types import utcnow
from transcriber.pipeline import RecordingProcessor

log = logging.getLogger(__name__)
CALLS_PER_RUN = 24


@dataclass
class PlannedCall:
    item: DialItem
    agent_code: str
    contact: str
    scenario: str
    """A labelled call id, or busy / no_answer / unreachable."""
    attempt_id: int | None = None
    outcome: str = ""
    flags: list[str] = field(default_factory=list)


def plan_calls(app: App, profile: Profile, at: datetime, callees: Callees) -> list[PlannedCall]:
    """Up to 24 due numbers, each given a scenario that fits who answers. A case's next number
    is planned only after one that will not answer: the campaign leaves a reached case."""
    schedule = app.schedule(profile, at)
    plans: list[PlannedCall] = []
    reached: set[int] = set()
    for work in schedule.dialable:
        entry = work.entry
        if len(plans) == CALLS_PER_RUN:
            break
        if entry.case.facts.case_id in reached:
            continue
        contact = entry.person.contact_type.value
        scenario = callees.choose(entry.number.e164, contact)
        if scenario not in UNANSWERED:
            reached.add(entry.case.facts.case_id)
        item = DialItem(entry.phone_number_id, entry.case.facts.case_id, entry.number.e164)
        plans.append(PlannedCall(item, work.agent, contact, scenario))
    return plans


def run_demo_calls(  # noqa: PLR0917 (the demo's parts)
    app: App,
    profile: Profile,
    plans: list[PlannedCall],
    core: Sandbox,
    transcribing: Transcribing,
    clock: DemoClock,
    out: TextIO,
) -> list[PlannedCall]:
    """Dial through the demo's line (``core``), record, transcribe and flag; print what
    happened to each call."""
    run_started = utcnow()
    at = clock()
    judge = PolicyJudge(profile)
    with app.sessions() as session:
        agents = {a.code: a for a in session.scalars(select(Agent).where(Agent.active))}
    worklists: dict[int, list[DialItem]] = {}
    for plan in plans:
        worklists.setdefault(agents[plan.agent_code].id, []).append(plan.item)
    dial = {agent.id: f"PJSIP/{agent.code.lower()}@simnet" for agent in agents.values()}
    started = time.monotonic()
    campaign = sandbox_campaign(
        app.sessions,
        judge,
        core,
        Staffing(worklists, dial),
        at,
        transcribing.add,
        lookback=profile.lookback(),
        ring_timeout_s=8,
        run_for_s=900,
    )
    agi = AgiThread({"gate": campaign.gate(), "inbound": campaign.inbound()}, core.agi_port)
    try:
        summary = campaign.run()
    finally:
        agi.close()
    transcribing.drain()
    print(
        f"[4/5] {summary.reserved} calls placed through Asterisk in "
        f"{time.monotonic() - started:.0f} s: "
        + ", ".join(f"{k} {v}" for k, v in sorted(summary.outcomes.items())),
        file=out,
    )
    print(
        f"[5/5] {transcribing.stored} recordings stored, {transcribing.transcribed} transcribed "
        f"and checked (while the calls went on; {transcribing.seconds:.0f} s of work)",
        file=out,
    )
    _report(app, plans, at, run_started, out)
    return plans


class Transcribing:
    """Stores and transcribes each recording as its call ends, beside the campaign."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.work: queue.Queue[tuple[int, Path] | None] = queue.Queue()
        self.added = 0
        self.stored = 0
        self.transcribed = 0
        self.seconds = 0.0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def add(self, attempt: int, path: Path) -> None:
        self.added += 1
        self.work.put((attempt, path))

    def drain(self) -> None:
        """Wait until every recording added so far is stored and transcribed."""
        self.work.join()

    def finish(self) -> int:
        """Transcribe what was added, then stop; with nothing added, stop at once (the model
        may still be loading: a demo stopped before any call does not wait for it)."""
        self.work.put(None)
        if self.added:
            self.thread.join()
        return self.transcribed

    def _run(self) -> None:
        try:
            processor = self.app.processor()  # the model loads once, while the first calls ring
        except Exception:  # the calls go on; what drains the queue must not wait forever
            log.exception("the model did not load: recordings are stored, not transcribed")
            processor = None
        done = False
        while not done:
            jobs = [self.work.get()]
            while len(jobs) < self.app.settings.queue.batch and not self.work.empty():
                jobs.append(self.work.get_nowait())  # calls that ended meanwhile: decode together
            done = None in jobs
            try:
                self._batch([job for job in jobs if job is not None], processor)
            finally:
                for _ in jobs:
                    self.work.task_done()

    def _batch(self, jobs: list[tuple[int, Path]], processor: RecordingProcessor | None) -> None:
        started = time.monotonic()
        ids = [i for i in map(self._store, jobs) if i is not None]
        try:
            if processor is not None and ids:
                outcomes = processor.process_batch(ids)
                self.transcribed += sum(o.status == "transcribed" for o in outcomes)
        except Exception:  # a bad batch must not stop the demo
            log.exception("recordings %s not processed", ids)
        self.seconds += time.monotonic() - started

    def _store(self, job: tuple[int, Path]) -> int | None:
        attempt, path = job
        meta = CallMetadata(call_attempt_id=attempt, agent_channel=0)
        try:
            intake = self.app.store_recording(path, meta)
        except Exception:  # one bad recording must not stop the others
            log.exception("attempt %s: recording %s not stored", attempt, path)
            return None
        self.stored += 1
        return intake.recording_id


def _report(
    app: App, plans: list[PlannedCall], at: datetime, run_started: datetime, out: TextIO
) -> None:
    since = at - timedelta(minutes=1)
    with app.sessions() as session:
        attempts = {
            a.e164: a
            for a in session.scalars(select(CallAttempt).where(CallAttempt.reserved_at >= since))
        }
        flags: Counter[str] = Counter()
        for plan in plans:
            attempt = attempts.get(plan.item.e164)
            if attempt is None:
                plan.outcome = "not dialled"
                continue
            plan.attempt_id, plan.outcome = attempt.id, attempt.status.value
            plan.flags = sorted(
                session.scalars(
                    select(Flag.category)
                    .join(Recording, Recording.id == Flag.recording_id)
                    .where(Recording.call_attempt_id == attempt.id)
                )
            )
            flags.update(plan.flags)
        holds = session.scalar(
            select(func.count()).select_from(Hold).where(Hold.placed_at >= run_started)
        )
        dnc = session.scalar(
            select(func.count()).select_from(DoNotCall).where(DoNotCall.created_at >= run_started)
        )
    print("calls:", file=out)
    for plan in plans:
        print(
            f"  {plan.agent_code}  {mask_phone(plan.item.e164):<13} {plan.contact:<9} "
            f"{plan.scenario:<12} {plan.outcome:<10} {', '.join(plan.flags) or '-'}",
            file=out,
        )
    print(
        "flags by category: " + (", ".join(f"{k} {v}" for k, v in sorted(flags.items())) or "none"),
        file=out,
    )
    print(f"holds (停催) placed: {holds}, numbers put on do-not-call: {dnc}", file=out)
