"""``callwarden schedule preview`` and ``callwarden agent add``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import select

from compliance.policy import Profile
from console import worklists
from console.app import App
from console.bounds import parse_at
from console.errors import UsageError
from dialer.book import NumberEntry
from dialer.keeper import KEEP_POLL_S, Keeper
from dialer.worklist import BlockedItem, WorkItem
from store.kept_schedule import KeptItem, LostRace
from store.models import Agent
from store.pii import mask_phone
from store.safe_text import describe, first_forbidden, neutralise
from store.types import utcnow


def cmd_schedule_preview(app: App, args: argparse.Namespace, out: TextIO) -> int:
    """Now: the kept schedule's rows if they may be served, else computed; at another
    instant (``--at``), computed. Which, and why, goes to stderr (and into ``--json``)."""
    app.require_schema()
    profile = app.profile(args.profile)
    if args.at:
        at, why = parse_at(args.at, profile.timezone), "an instant was asked for (--at)"
    else:
        at = utcnow()
        with app.reads() as session:
            found = worklists.kept_only(
                session, profile, at, args.agent, None if args.json else args.limit
            )
        if found.computed is None:
            print("schedule preview: read from the kept schedule", file=sys.stderr)
            return _print_kept(found, profile, at, args, out)
        why = str(found.computed)  # its Chinese: the CLI speaks Chinese first
    print(f"schedule preview: computed ({why})", file=sys.stderr)
    schedule = app.schedule(profile, at)
    dialable = schedule.for_agent(args.agent) if args.agent else schedule.dialable
    blocked = schedule.blocked
    if args.json:
        doc = {
            "at": at.isoformat(),
            "profile": profile.ruleset,
            "source": "computed",
            "computed_because": why,
            "dialable": [_work_json(item, at) for item in dialable],
            "blocked": [_blocked_json(item) for item in blocked],
        }
        print(json.dumps(doc, ensure_ascii=False), file=out)
        return 0
    local = at.astimezone(ZoneInfo(profile.timezone))
    print(
        f"schedule at {local:%Y-%m-%d %H:%M %Z} under {profile.ruleset}: "
        f"{len(dialable)} dialable, {len(blocked)} blocked",
        file=out,
    )
    for item in dialable[: args.limit]:
        e = item.entry
        print(
            f"  {neutralise(item.agent):<10} {neutralise(e.case.account_no):<16} "
            f"{mask_phone(e.number.e164):<14} "
            f"{e.person.contact_type:<9} {item.reason}",
            file=out,
        )
    if len(dialable) > args.limit:
        print(f"  … {len(dialable) - args.limit} more dialable", file=out)
    print("blocked:", file=out)
    for b in blocked[: args.limit]:
        when = (
            b.next_allowed_at.astimezone(local.tzinfo).strftime("%m-%d %H:%M")
            if (b.next_allowed_at)
            else "not by waiting"
        )
        print(
            f"  {neutralise(b.entry.case.account_no):<16} {mask_phone(b.entry.number.e164):<14} "
            f"{b.rule:<30} next: {when:<14} {_both(b)}",
            file=out,
        )
    if len(blocked) > args.limit:
        print(f"  … {len(blocked) - args.limit} more blocked", file=out)
    return 0


def _print_kept(
    found: worklists.Worklists,
    profile: Profile,
    at: datetime,
    args: argparse.Namespace,
    out: TextIO,
) -> int:
    """The kept rows: dialable numbers only (blocked ones are not kept; ``--at`` computes
    them)."""
    if args.json:
        doc = {
            "at": at.isoformat(),
            "profile": profile.ruleset,
            "source": "kept",
            "dialable": [_kept_json(item, ZoneInfo(profile.timezone)) for item in found.items],
            "blocked": None,
        }
        print(json.dumps(doc, ensure_ascii=False), file=out)
        return 0
    local = at.astimezone(ZoneInfo(profile.timezone))
    print(
        f"schedule at {local:%Y-%m-%d %H:%M %Z} under {profile.ruleset}: "
        f"{found.total} dialable (kept schedule; blocked numbers are not kept: --at computes "
        "them)",
        file=out,
    )
    for item in found.items:
        print(
            f"  {neutralise(item.agent):<10} {neutralise(item.account_no):<16} "
            f"{mask_phone(item.e164):<14} {item.kind:<9} {item.reason}",
            file=out,
        )
    if found.total > len(found.items):
        print(f"  … {found.total - len(found.items)} more dialable", file=out)
    return 0


def _kept_json(item: KeptItem, zone: ZoneInfo) -> dict[str, Any]:
    """As :func:`_work_json` words a computed item (deadlines on the profile's clock)."""
    return {
        "case": item.account_no,
        "number": mask_phone(item.e164),
        "kind": item.kind,
        "reason": item.reason,
        "rule": item.rule,
        "agent": item.agent,
        "due_by": item.due_by.astimezone(zone).isoformat() if item.due_by else None,
    }


def _item_json(
    entry: NumberEntry, reason: str, rule: str, next_at: datetime | None
) -> dict[str, Any]:
    return {
        "case": entry.case.account_no,
        "number": mask_phone(entry.number.e164),
        "contact": str(entry.person.contact_type),
        "reason": reason,
        "rule": rule,
        "next_allowed_at": next_at.isoformat() if next_at else None,
    }


def _work_json(item: WorkItem, at: datetime) -> dict[str, Any]:
    doc = _item_json(item.entry, item.reason, item.rule, at)
    doc["agent"] = item.agent
    doc["due_by"] = item.due_by.isoformat() if item.due_by else None
    return doc


def _blocked_json(item: BlockedItem) -> dict[str, Any]:
    doc = _item_json(item.entry, item.reason, item.rule, item.next_allowed_at)
    doc["reason_zh"] = item.reason_zh
    return doc


def _both(item: BlockedItem) -> str:
    """A blocked number's reason in Chinese, then English (as a consent's words are)."""
    return f"{item.reason_zh} · {item.reason}" if item.reason_zh else item.reason


def cmd_agent_add(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    code = _agent_value("code", args.code, Agent.code)
    name = _agent_value("--name", args.name, Agent.name) if args.name is not None else None
    sip = _agent_value("--sip", args.sip, Agent.sip_endpoint)
    with app.sessions.begin() as session:
        agent = session.scalar(select(Agent).where(Agent.code == code))
        if agent is None:
            session.add(Agent(code=code, name=name or code, sip_endpoint=sip))
            done = "added"
        else:
            agent.name, agent.sip_endpoint = name or agent.name, sip
            done = "updated"
    # Said once committed: a refused write must not read as done.
    print(f"agent {code} {done}", file=out)
    return 0


def _agent_value(label: str, value: str, column: Any) -> str:
    """``value`` stripped, if it fits its column and carries nothing a terminal would act on."""
    value = value.strip()
    limit: int = column.type.length
    if not value:
        raise UsageError(f"{label}: must not be empty")
    if len(value) > limit:
        raise UsageError(f"{label}: {len(value)} characters, at most {limit}")
    if (char := first_forbidden(value)) is not None:
        raise UsageError(f"{label}: {describe(char)} is not allowed")
    return value


def cmd_schedule_keep(app: App, args: argparse.Namespace, out: TextIO) -> int:
    """Own the kept schedule: apply writers' marks and the clock until stopped (or once)."""
    app.require_schema()
    owner = Keeper(app.sessions, app.reads)  # remembers each case's next instant between passes
    while True:
        profile = app.profile(args.profile)  # re-read: an admin's edit is a rebuild
        try:
            done = owner.keep(profile, utcnow())
        except LostRace as exc:
            print(f"schedule keep: {exc}; is another owner running?", file=out, flush=True)
            done = None
        if done is not None and done.why is not None:
            print(
                f"schedule kept ({done.why}): {done.rows} rows, {done.marks} marks applied, "
                f"valid until {done.valid_until:%Y-%m-%d %H:%M:%S}",
                file=out,
                flush=True,
            )
        if args.once:
            return 0
        time.sleep(KEEP_POLL_S)
