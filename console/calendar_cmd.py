"""``callwarden calendar status`` and ``calendar add FILE``: is every year the active profile
needs in the next 90 days covered, and a checked way to add one (the State Council's schedule).

An added year is kept like an edited profile: every version in ``config_version`` (kind
``calendar``, name ``cn-YYYY``), audit-logged, and the file in force in ``<var_dir>/calendar``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from compliance.errors import ProfileError
from compliance.policy import Profile
from compliance.policy.year_data import MAX_YEAR_BYTES
from console.app import App
from console.bounds import parse_at
from console.calendar_years import (
    NoSuchVersion,
    check_year,
    keep_year,
    remove_year,
    restore_year,
    year_versions,
)
from console.calendars import report
from console.users import default_actor
from store.types import utcnow

NOT_COVERED = 1
"""``calendar status``'s exit status when a year is not covered (for monitoring)."""


def _today(app: App, args: argparse.Namespace, profile: Profile) -> date:
    text = getattr(args, "at", None)
    at = parse_at(text, profile.timezone) if text else utcnow()
    return at.astimezone(ZoneInfo(profile.timezone)).date()


def cmd_calendar_status(app: App, args: argparse.Namespace, out: TextIO) -> int:
    profile = app.profile(args.profile)
    lines, covered = report(profile, _today(app, args, profile))
    print("\n".join(lines), file=out)
    return 0 if covered else NOT_COVERED


def cmd_calendar_add(app: App, args: argparse.Namespace, out: TextIO) -> int:
    """Validate, show the working days that change, then keep it (unless ``--dry-run``)."""
    path = Path(args.file)
    try:
        with path.open("rb") as handle:  # bounded: a huge file (or /dev/zero) is refused
            raw = handle.read(MAX_YEAR_BYTES + 1)
        checked = check_year(path, raw, app.profile())
    except OSError as exc:
        print(f"{path}: cannot be read: {exc.strerror}", file=sys.stderr)
        return 3
    except ProfileError as exc:
        print(f"{path}: rejected; nothing was added:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 3
    year = checked.year
    print(
        f"{path}: valid: {year.year}, {len(year.holidays)} holiday(s), "
        f"{len(year.workdays)} adjusted working day(s); {len(checked.changes)} day(s) change:",
        file=out,
    )
    for change in checked.changes:
        print(f"  {change.day} {change.day:%a}: {change.before} → {change.after}", file=out)
    if args.dry_run:
        print("dry run: nothing was added", file=out)
        return 0
    app.require_schema()
    with app.sessions.begin() as session:
        author, note = args.actor or default_actor(), args.note or ""
        row = keep_year(session, app.paths, checked, author, note, utcnow())
    if row is None:
        print(
            f"{checked.name}: the latest version already has this content: nothing changed",
            file=out,
        )
        return 0
    print(f"kept as {checked.name} v{row.version}; in force from now", file=out)
    return 0


def cmd_calendar_versions(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    with app.reads() as session:
        kept = year_versions(session, args.name)
        if not kept:
            print(f"{args.name}: no version kept", file=out)
            return 0
        in_force = (app.paths.calendars / f"{args.name}.toml").is_file()
        for row in kept:
            print(
                f"{args.name} v{row.version}  {row.created_at:%Y-%m-%d %H:%M}  {row.author}  "
                f"{row.sha256[:12]}  {row.note}",
                file=out,
            )
    print("in force: the latest" if in_force else "in force: none (taken out)", file=out)
    return 0


def cmd_calendar_restore(app: App, args: argparse.Namespace, out: TextIO) -> int:
    """Put an earlier version back, checked again as when it was added."""
    app.require_schema()
    try:
        with app.sessions.begin() as session:
            author = args.actor or default_actor()
            checked, row = restore_year(
                session, app.paths, app.profile(), args.name, args.version, author
            )
    except NoSuchVersion as exc:
        print(f"callwarden: {exc}", file=sys.stderr)
        return 3
    except ProfileError as exc:
        print(f"{args.name} v{args.version}: no longer passes; nothing changed:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 3
    if row is None:
        print(
            f"{args.name}: version {args.version} is already the latest: nothing changed", file=out
        )
        return 0
    for change in checked.changes:
        print(f"  {change.day} {change.day:%a}: {change.before} → {change.after}", file=out)
    print(f"restored {args.name} v{args.version} as v{row.version}; in force from now", file=out)
    return 0


def cmd_calendar_remove(app: App, args: argparse.Namespace, out: TextIO) -> int:
    """Take the admins' year out of force; its versions stay (restore puts one back)."""
    app.require_schema()
    try:
        with app.sessions.begin() as session:
            author = args.actor or default_actor()
            removed = remove_year(session, app.paths, args.name, author, args.why)
    except NoSuchVersion as exc:
        print(f"callwarden: {exc}", file=sys.stderr)
        return 3
    if not removed:
        print(f"{args.name}: no admins' year in force: nothing changed", file=out)
        return 0
    print(
        f"{args.name}: taken out of force (versions kept); the year now follows "
        "chinese-calendar, or blocks calls if it does not cover it",
        file=out,
    )
    return 0
