"""Calendar health: which years the active profile needs soon, and what covers each.

Pure: a profile and a day in, lines (and whether every year is covered) out. The
``calendar status`` command, ``policy check`` and the admins' banner all say it this way.
"""

from __future__ import annotations

from datetime import date

from compliance.policy import Profile
from compliance.policy.profile import MinIntervalRule
from compliance.policy.year_data import (
    HORIZON_DAYS,
    WARN_DAYS,
    coverage,
    first_uncovered_day,
)


def needs_calendar(profile: Profile) -> bool:
    """Whether a year no calendar covers blocks calls: a statutory-holiday rule, or spacing
    counted in working days (it cannot count them in an unknown year, and blocks)."""
    return any(
        rule.kind == "statutory_holidays"
        or (isinstance(rule, MinIntervalRule) and rule.working_days is not None)
        for rule in profile.rules
    )


def report(profile: Profile, today: date) -> tuple[list[str], bool]:
    """The lines saying which years the next 90 days need and what covers each; and
    whether all are covered."""
    if not needs_calendar(profile):
        return [
            f"calendar: {profile.id} has no statutory-holiday rule and no working-day spacing: "
            "no calendar needed"
        ], True
    covers = coverage(today, profile.calendar)
    lines = [f"calendar for {profile.ruleset}, the next {HORIZON_DAYS} days from {today}:"]
    for cover in covers:
        if cover.source is not None:
            lines.append(f"  {cover.year}: covered ({cover.source})")
        else:
            lines.append(
                f"  {cover.year}: NOT covered: from {date(cover.year, 1, 1)} every call is "
                "blocked (no statutory-holiday calendar); add the State Council's schedule "
                "with `callwarden calendar add FILE`"
            )
    first = first_uncovered_day(today, covers)
    if first is not None:
        days = (first - today).days
        lines.append(
            f"  warning: {days} day(s) to the first uncovered day ({first}); "
            f"the console warns admins from {WARN_DAYS} days before"
        )
    return lines, first is None
