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
from typing import TextIO

from sqlalchemy import select

from console.app import App, Pace
from console.bounds import parse_at
from console.errors import UsageError
from console.worklists import every_worklist
from dialer.calls import DialItem
from dialer.campaign import CampaignSummary
from dialer.sandbox.campaigns import Staffing
from store.models import Agent
from store.pii import mask_phone
from store.types import utcnow


def cmd_dial(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    core = app.running_sandbox()
    if core is None:
        raise UsageError("no Asterisk is running: start one with `callwarden sandbox up`")
    profile = app.profile(args.profile)
    start_at = parse_at(args.at, profile.timezone) if args.at else utcnow()
    with app.reads() as session:
        # the kept schedule's rows when they may be served (issue 17), else computed
        dialable = every_worklist(session, profile, start_at)
        agents = {a.code: a for a in session.scalars(select(Agent).where(Agent.active))}
    if dialable.computed:
        # a notice, not the result: stdout stays what scripts read
        print(f"worklists computed: {dialable.computed}", file=sys.stderr)
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
    pace = Pace(args.rate, args.ring_timeout, args.run_for)

    def run(staff: Staffing) -> CampaignSummary:
        return app.run_campaign(core, profile, staff, start_at, pace)

    if args.preview:
        return _preview(args.preview, staffing, run, out)
    _print(run(staffing), out)
    return 0


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
