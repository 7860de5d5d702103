"""``callwarden schedule preview`` and ``callwarden agent add``."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import select

from compliance.policy import Profile, load_profile
from console.app import App
from console.bounds import moment_in_range
from dialer.book import NumberEntry
from dialer.scheduler import Schedule
from dialer.worklist import BlockedItem, WorkItem
from dialer.worklist_source import active_agents, build_worklists
from store.models import Agent
from store.pii import mask_phone
from store.safe_text import describe, first_forbidden, neutralise
from store.types import utcnow


class UsageError(Exception):
    """A bad command-line value; the message says which and why."""


def active_profile(app: App, name: str | None) -> Profile:
    """The named profile (or the configured one), searching the admins' folder first."""
    var_dir = app.settings.paths.var_dir
    return load_profile(
        name or app.settings.policy.profile,
        search=(var_dir / "policy",),
        calendars=var_dir / "calendar",  # years admins added (callwarden calendar add)
    )


def parse_at(text: str | None, zone: str, field: str = "--at") -> datetime:
    """``2026-12-01 08:05`` on the centre's clock (or with an explicit offset); default now.

    A day near the ends of the calendar is refused: the policy looks days back and ahead of
    it, and that arithmetic must not overflow.
    """
    if text is None:
        return utcnow()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(
            f"{field}: not a date and time: {text!r} (use 'YYYY-MM-DD HH:MM')"
        ) from exc
    try:
        return moment_in_range(
            parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(zone)), field
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def compute_schedule(app: App, profile: Profile, at: datetime) -> Schedule:
    with app.reads() as session:
        return build_worklists(session, profile, at, active_agents(session))


def cmd_schedule_preview(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    profile = active_profile(app, args.profile)
    at = parse_at(args.at, profile.timezone)
    schedule = compute_schedule(app, profile, at)
    dialable = schedule.for_agent(args.agent) if args.agent else schedule.dialable
    blocked = schedule.blocked
    if args.json:
        doc = {
            "at": at.isoformat(),
            "profile": profile.ruleset,
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
            f"{b.rule:<30} next: {when:<14} {b.reason}",
            file=out,
        )
    if len(blocked) > args.limit:
        print(f"  … {len(blocked) - args.limit} more blocked", file=out)
    return 0


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
    return _item_json(item.entry, item.reason, item.rule, item.next_allowed_at)


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
