"""Adding a year of statutory holidays: the one check-and-keep the ``calendar add`` command
and the admin's calendar page share.

A year is checked (``compliance.policy.year_data``), its effect previewed (the working days
that change), then kept like an edited profile: a new ``config_version`` (kind ``calendar``,
name ``cn-YYYY``), an audit row, and the file in force under ``<var_dir>/calendar``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.policy import Profile
from compliance.policy.calendar import CalendarYear
from compliance.policy.year_data import Change, changes, parse_year
from config.var_paths import VarPaths
from console.editable import _write_atomically, add_version
from store.audit import record_audit
from store.models import ConfigVersion

KIND = "calendar"


@dataclass(frozen=True)
class CheckedYear:
    """A year file that passed its checks, with what it would change."""

    year: CalendarYear
    content: str
    """The file's text as it is kept (UTF-8, ``\\n`` line ends)."""
    changes: list[Change]

    @property
    def name(self) -> str:
        return f"cn-{self.year.year}"


def check_year(source: Path, raw: bytes, profile: Profile) -> CheckedYear:
    """Parse and check ``raw`` (named ``source`` in every problem); raises ``ProfileError``."""
    year = parse_year(source, raw)
    content = raw.decode("utf-8-sig").replace("\r\n", "\n")  # kept without a byte-order mark
    return CheckedYear(year, content, changes(year, profile.calendar))


def keep_year(  # noqa: PLR0917 (what keeping a version records)
    session: Session, paths: VarPaths, checked: CheckedYear, author: str, note: str, at: datetime
) -> ConfigVersion | None:
    """Keep the year as its next version and put it in force; None if the latest version
    already has this content (nothing changes, nothing is logged)."""
    last = session.scalar(
        select(ConfigVersion)
        .where(ConfigVersion.kind == KIND, ConfigVersion.name == checked.name)
        .order_by(ConfigVersion.version.desc())
        .limit(1)
    )
    if last is not None and last.content == checked.content:
        return None
    row = add_version(session, KIND, checked.name, checked.content, author, note, at)
    record_audit(
        session,
        author,
        "calendar.add",
        object_type=KIND,
        object_id=checked.name,
        detail={"version": row.version, "sha256": row.sha256, "note": note},
    )
    # written last, inside the transaction: a failed write rolls the version back
    _write_atomically(paths.calendars / f"{checked.name}.toml", checked.content)
    return row
