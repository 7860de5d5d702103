"""``callwarden policy check FILE``: validate a profile and show what it would change."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from compliance.errors import ProfileError
from compliance.policy import ContactType
from compliance.policy.consent import relaxable as relaxable_by
from console.app import App
from console.bounds import parse_at
from console.calendars import report as calendar_report
from dialer.scheduler import Schedule
from store.types import utcnow


def _tomorrow_0805(zone: str) -> datetime:
    local = utcnow().astimezone(ZoneInfo(zone)) + timedelta(days=1)
    return local.replace(hour=8, minute=5, second=0, microsecond=0)


def _blocked_by_rule(schedule: Schedule) -> Counter[str]:
    return Counter(item.rule for item in schedule.blocked)


CONSENT_LINES = 20
"""At most this many different sayings about consents (each a consent and a rule)."""


def _consent_lines(schedule: Schedule, at: datetime) -> list[str]:
    """Under the candidate, what each debtor's consent in force at ``at`` does, in the
    decisions' own words (who agreed, to what, until when, which rule): the numbers it made
    dialable, and the debtor's numbers still blocked by a rule it cannot relax (the law's
    window at 22:30). Each saying once, with how many numbers it covers."""
    said = schedule.dialable.consent_words()
    for item in schedule.blocked:
        entry = item.entry
        if entry.person.contact_type == ContactType.DEBTOR and any(
            consent.active_at(at) for consent in entry.case.facts.consents
        ):
            said[f"{item.rule}: {item.reason_zh} · {item.reason}"] += 1
    if not said:
        return []
    lines = ["  债务人同意 · debtors' consents in force (numbers: decision):"]
    lines += [f"    {n:,}: {words}" for words, n in said.most_common(CONSENT_LINES)]
    if len(said) > CONSENT_LINES:
        lines.append(f"    … {len(said) - CONSENT_LINES:,} more")
    return lines


def cmd_policy_check(app: App, args: argparse.Namespace, out: TextIO) -> int:
    """Exit 0 for a valid profile (with a preview), 3 with every problem for an invalid one."""
    try:
        candidate = app.profile(Path(args.file))
    except ProfileError as exc:
        print(f"{args.file}: rejected; the active profile stays in force:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 3
    print(
        f"{args.file}: valid: {candidate.ruleset}, {len(candidate.rules)} rule(s) "
        f"from {' + '.join(Path(f).name for f in candidate.files)}",
        file=out,
    )
    relaxable = [f"{r.id} ({scope})" for r in candidate.rules if (scope := relaxable_by(r))]
    print(
        "经债务人同意可放宽的规则 · rules a debtor's consent may relax: "
        + (", ".join(relaxable) or "none"),
        file=out,
    )
    zone = ZoneInfo(candidate.timezone)
    # calendar health from the preview's day when one is given, else from today
    day = parse_at(args.at, candidate.timezone) if args.at else utcnow()
    lines, _ = calendar_report(candidate, day.astimezone(zone).date())
    print("\n".join(lines), file=out)
    app.require_schema()
    active = app.profile()
    at = parse_at(args.at, candidate.timezone) if args.at else _tomorrow_0805(candidate.timezone)
    before, after = app.schedule(active, at), app.schedule(candidate, at)
    local = at.astimezone(ZoneInfo(candidate.timezone))
    print(
        f"at {local:%Y-%m-%d %H:%M %Z}: {len(before.dialable):,} dialable → "
        f"{len(after.dialable):,} (active {active.ruleset} → {candidate.ruleset})",
        file=out,
    )
    consented = before.dialable.by_consent(), after.dialable.by_consent()
    if any(consented):
        print(
            f"  dialable by a debtor's consent (经债务人同意): {consented[0]:,} → {consented[1]:,}",
            file=out,
        )
    for line in _consent_lines(after, at):
        print(line, file=out)
    was, now = _blocked_by_rule(before), _blocked_by_rule(after)
    # every rule that blocks, changed or not: which rules bind is what an admin checks (the
    # guideline's third-party gate, per-number cap, working-day interval …)
    for rule in sorted(set(was) | set(now)):
        print(f"  blocked by {rule}: {was[rule]:,} → {now[rule]:,}", file=out)
    return 0
