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

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.errors import ProfileError
from compliance.policy import Profile
from compliance.policy.year_data import (
    changes,
    parse_year,
)
from console.app import App
from console.bounds import parse_at
from console.calendars import report
from console.editable import _write_atomically, add_version
from console.users import default_actor
from store.audit import record_audit
from store.models import ConfigVersion
from store.types import utcnow

KIND = "calendar"
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
        raw = path.read_bytes()
        year = parse_year(path, raw)
    except OSError as exc:
        print(f"{path}: cannot be read: {exc.strerror}", file=sys.stderr)
        return 3
    except ProfileError as exc:
        print(f"{path}: rejected; nothing was added:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 3
    profile = app.profile()
    changed = changes(year, profile.calendar)
    print(
        f"{path}: valid: {year.year}, {len(year.holidays)} holiday(s), "
        f"{len(year.workdays)} adjusted working day(s); {len(changed)} day(s) change:",
        file=out,
    )
    for change in changed:
        print(f"  {change.day} {change.day:%a}: {change.before} → {change.after}", file=out)
    if args.dry_run:
        print("dry run: nothing was added", file=out)
        return 0
    app.require_schema()
    name = f"cn-{year.year}"
    content = raw.decode("utf-8").replace("\r\n", "\n")
    with app.sessions.begin() as session:
        last = session.scalar(
            select(ConfigVersion)
            .where(ConfigVersion.kind == KIND, ConfigVersion.name == name)
            .order_by(ConfigVersion.version.desc())
            .limit(1)
        )
        if last is not None and last.content == content:
            print(f"{name} v{last.version} already has this content: nothing changed", file=out)
            return 0
        row = _keep(session, name, content, args.actor or default_actor(), args.note or "")
        _write_atomically(app.paths.calendars / f"{name}.toml", content)
    print(f"kept as {name} v{row.version}; in force from now", file=out)
    return 0


def _keep(session: Session, name: str, content: str, author: str, note: str) -> ConfigVersion:
    row = add_version(session, KIND, name, content, author, note, utcnow())
    record_audit(
        session,
        author,
        "calendar.add",
        object_type=KIND,
        object_id=name,
        detail={"version": row.version, "sha256": row.sha256, "note": note},
    )
    return row
