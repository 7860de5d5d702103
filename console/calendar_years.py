"""Adding a year of statutory holidays: the one check-and-keep the ``calendar add`` command
and the admin's calendar page share.

A year is checked (``compliance.policy.year_data``), its effect previewed (the working days
that change), then kept like an edited profile: a new ``config_version`` (kind ``calendar``,
name ``cn-YYYY``), an audit row, and the file in force under ``<var_dir>/calendar``. An
earlier version can be put back (checked again, kept as the next version), and the admins'
year taken out of force (chinese-calendar's own data, or none: calls that year then fail
closed), versions kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.policy import Profile
from compliance.policy.calendar import CalendarYear
from compliance.policy.year_data import Change, changes, parse_year
from config.var_paths import VarPaths
from console.editable import _write_atomically, add_version, versions
from console.i18n import _
from store.audit import record_audit
from store.models import ConfigVersion
from store.types import utcnow

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


class NoSuchVersion(LookupError):
    """No kept version of that year by that number, or no year by that name."""


YEAR_NAME = re.compile(r"cn-\d{4}")


def _named(name: str) -> str:
    if not YEAR_NAME.fullmatch(name):  # it names a file: nothing else may reach the folder
        raise NoSuchVersion(f"{name!r}: a year is named cn-YYYY")
    return name


def year_versions(session: Session, name: str) -> list[ConfigVersion]:
    """The kept versions of ``name`` (cn-YYYY), newest first."""
    return versions(session, KIND, name)


def restore_year(  # noqa: PLR0917 (what putting a version back records)
    session: Session, paths: VarPaths, profile: Profile, name: str, number: int, author: str
) -> tuple[CheckedYear, ConfigVersion | None]:
    """Put version ``number`` of ``name`` back in force as its next version, checked again
    as when it was added (``ProfileError`` if it no longer passes); None: already in force."""
    kept = {v.version: v for v in year_versions(session, _named(name))}
    if number not in kept:
        raise NoSuchVersion(f"{name}: no version {number} (kept: {sorted(kept) or 'none'})")
    source = Path(f"{name} v{number}")
    checked = check_year(source, kept[number].content.encode("utf-8"), profile)
    if checked.name != name:
        raise NoSuchVersion(f"{name} v{number}: holds {checked.name}, not {name}")
    note = _("恢复为第 %(n)s 版") % {"n": number}
    return checked, keep_year(session, paths, checked, author, note, utcnow())


def remove_year(session: Session, paths: VarPaths, name: str, author: str, why: str) -> bool:
    """Take the admins' ``name`` out of force (its versions stay); whether it was in force."""
    path = paths.calendars / f"{_named(name)}.toml"
    if not path.is_file():
        return False
    record_audit(
        session, author, "calendar.remove", object_type=KIND, object_id=name, detail={"why": why}
    )
    session.flush()
    path.unlink()  # last, inside the transaction: a failed audit row leaves it in force
    return True
