"""``callwarden dial``: a campaign through the running Asterisk (the sandbox's, for now).

Progressive by default: every idle agent gets the next number of their
worklist. ``--preview AGENT`` shows that agent the next number and its reason
and dials only when they say so. Finished recordings are stored and queued
for the transcription workers (``callwarden worker``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import select

from compliance.policy import Profile
from console.app import App
from console.pipeline_cmd import archive_dir, build_queue
from console.sandbox_cmd import state_file
from console.schedule_cmd import UsageError, active_profile, parse_at
from console.worklists import every_worklist
from dialer.agi.thread import AgiThread
from dialer.campaign import CampaignSummary, DialItem
from dialer.gate import PolicyJudge
from dialer.sandbox import Sandbox, load_state, status
from dialer.sandbox.campaigns import Staffing, sandbox_campaign
from recorder.intake import CallMetadata, store_recording
from store.models import Agent
from store.pii import mask_phone
from store.types import utcnow


def cmd_dial(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    core = load_state(state_file(app))
    if core is None or not status(core).startswith("running"):
        raise UsageError("no Asterisk is running: start one with `callwarden sandbox up`")
    profile = active_profile(app, args.profile)
    start_at = parse_at(args.at, profile.timezone)
    with app.reads() as session:
        # the kept schedule's rows when they may be served (issue 17), else computed
        dialable = every_worklist(session, profile, start_at)
        agents = {a.code: a for a in session.scalars(select(Agent).where(Agent.active))}
    if dialable.computed:
        print(f"worklists computed: {dialable.computed}", file=out)
    wanted = set(args.agents.split(",")) if args.agents else set(agents)
    if args.preview:
        wanted = {args.preview}
    worklists: dict[int, list[DialItem]] = {}
    for work in dialable.items:
        if work.agent in wanted and work.agent in agents:
            item = DialItem(work.phone_number_id, work.case_id, work.e164)
            worklists.setdefault(agents[work.agent].id, []).append(item)
    if args.limit is not None:
        worklists = {agent: items[: args.limit] for agent, items in worklists.items()}
    staffing = Staffing(worklists, {a.id: a.sip_endpoint for a in agents.values()})

    def run(staff: Staffing) -> CampaignSummary:
        return _run(app, core, profile, staff, start_at, args)

    if args.preview:
        return _preview(args.preview, staffing, run, out)
    _print(run(staffing), out)
    return 0


@dataclass(frozen=True)
class Pace:
    """How fast a campaign dials and how long it keeps going."""

    originate_per_s: float = 20.0
    ring_timeout_s: float = 30.0
    run_for_s: float = 3600.0


def _run(  # noqa: PLR0917 (one campaign's inputs)
    app: App,
    core: Sandbox,
    profile: Profile,
    staffing: Staffing,
    start_at: datetime,
    args: argparse.Namespace,
) -> CampaignSummary:
    pace = Pace(args.rate, args.ring_timeout, args.run_for)
    return run_campaign(app, core, profile, staffing, start_at, pace)


def run_campaign(  # noqa: PLR0917 (one campaign's inputs)
    app: App,
    core: Sandbox,
    profile: Profile,
    staffing: Staffing,
    start_at: datetime,
    pace: Pace,
) -> CampaignSummary:
    """Dial the staffing's worklists through ``core``; recordings go to the workers' queue."""
    queue = build_queue(app)

    def recorded(attempt: int, path: Path) -> None:
        meta = CallMetadata(call_attempt_id=attempt, agent_channel=0)
        intake = store_recording(app.sessions, path, archive_dir(app.settings), utcnow(), meta)
        queue.enqueue(intake.recording_id)

    campaign = sandbox_campaign(
        app.sessions,
        PolicyJudge(profile),
        core,
        staffing,
        start_at,
        recorded,
        lookback=profile.lookback(),
        originate_per_s=pace.originate_per_s,
        ring_timeout_s=pace.ring_timeout_s,
        run_for_s=pace.run_for_s,
    )
    handlers = {"gate": campaign.gate(), "inbound": campaign.inbound()}
    agi = AgiThread(handlers, port=core.agi_port)
    try:
        return campaign.run()
    finally:
        agi.close()


def _preview(
    agent: str, staffing: Staffing, run: Callable[[Staffing], CampaignSummary], out: TextIO
) -> int:
    """The agent sees each due number and decides: y dials it, n skips it, q stops."""
    agent_id, items = next(iter(staffing.worklists.items()), (None, []))
    if agent_id is None or not items:
        print(f"{agent}: nothing due", file=out)
        return 0
    for item in items:
        answer = _ask(f"next: case {item.case_id}, {mask_phone(item.e164)} — dial? [y/n/q] ")
        if answer == "q":
            break
        if answer == "y":
            _print(run(Staffing({agent_id: [item]}, staffing.agent_dial)), out)
    return 0


def _ask(prompt: str) -> str:
    print(prompt, end="", flush=True, file=sys.stderr)
    line = sys.stdin.readline()
    return line.strip().lower()[:1] or "n"


def _print(summary: CampaignSummary, out: TextIO) -> None:
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(summary.outcomes.items())) or "none"
    print(
        f"{summary.reserved} calls placed ({summary.blocked_at_reservation} refused by the "
        f"policy at reservation, {summary.blocked_on_answer} on answer): {outcomes}; "
        f"{len(summary.recordings)} recordings queued for the workers",
        file=out,
    )
