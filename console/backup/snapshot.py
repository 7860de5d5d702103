"""One backup's contents, assembled in a staging folder for restic to take, and its manifest.
Not pure: copies the database and links files.

The staging folder holds::

    manifest.json         what this is: label, time, database kind, audit head, row counts
    database/             callwarden.db (SQLite's backup API) or callwarden.pgdump (pg_dump)
    recordings/           the archive as it is: clear .wav, sealed .cwa with their .key files
    admin/policy|lexicon|phrases|calendar/   the admins' versions from var/
    settings.json         the settings, passwords in URLs replaced by ***

No master key is ever staged: the archive's sealed files and wrapped data keys go in, the
key that opens them (``var/master.key``, or wherever it is configured) does not.

The database is copied first and the archive after: intake writes a recording's file before
its row, so every row the copy holds has its file, whatever is recorded meanwhile.
Recordings are hard links (the archive's files are never changed in place), copied only
where a link cannot be made (another file system). Each staged recording is then checked
against the sha256 its row in the database copy holds (``backup.intact``): one missing or
not as stored is still backed up as it is, and named in the manifest's ``damaged``, so a
restore can tell damage that was already there from damage done since.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from console.backup.database import copy_database
from console.backup.errors import BackupError
from console.backup.intact import Damaged, damaged_recordings
from recorder.keys import KeyProvider

MANIFEST = "manifest.json"
FORMAT = 1
"""Version of this layout; a restore refuses one it does not know."""


@dataclass(frozen=True)
class Manifest:
    """What a snapshot holds, written into it as ``manifest.json``."""

    format: int
    label: str
    taken_at: str
    """ISO 8601, UTC."""
    backend: str
    """``sqlite`` or ``postgresql``."""
    database_file: str
    """Under ``database/``."""
    audit_head: str
    """``ID:HASH`` of the last audit row the database copy holds."""
    counts: dict[str, int]
    """Rows per table in the database copy."""
    recordings_root: str
    """The archive's folder as the recording rows name it (their paths start with it)."""
    recording_files: int
    damaged: list[Damaged] = field(default_factory=list)
    """Recordings whose file was missing or not as stored when the backup was taken."""

    def dump(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True)

    @staticmethod
    def read(folder: Path) -> Manifest:
        try:
            raw = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            damaged = [Damaged.from_json(d) for d in raw.pop("damaged", [])]
            manifest = Manifest(**raw, damaged=damaged)
        except FileNotFoundError as exc:
            raise BackupError(f"{folder}: no {MANIFEST}: not a callwarden backup") from exc
        except (ValueError, TypeError, KeyError) as exc:
            raise BackupError(f"{folder / MANIFEST}: not a backup manifest ({exc})") from exc
        if manifest.format != FORMAT:
            raise BackupError(f"{folder}: backup format {manifest.format}, this reads {FORMAT}")
        return manifest


@dataclass(frozen=True)
class Sources:
    """What a backup takes, named by the composition root."""

    database_url: str
    recordings: Path
    admin: Mapping[str, Path]
    """``policy``, ``lexicon``, ``calendar`` → the admins' folders under ``var/``."""
    settings: dict[str, Any]
    """The settings with no secret left in them."""
    keys: KeyProvider | None = None
    """The master keys that open sealed recordings, to check them (never copied)."""


def stage(sources: Sources, staging: Path, label: str, now: datetime) -> Manifest:
    """Assemble the snapshot in ``staging`` (emptied first) and write its manifest last."""
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    copied = copy_database(sources.database_url, staging / "database")
    files = _link_tree(sources.recordings, staging / "recordings")
    _, damaged = damaged_recordings(
        copied.recordings, staging / "recordings", str(sources.recordings), sources.keys
    )
    for name, folder in sources.admin.items():
        if folder.is_dir():
            shutil.copytree(folder, staging / "admin" / name)
    (staging / "settings.json").write_text(
        json.dumps(sources.settings, ensure_ascii=False, indent=2, sort_keys=True),
        encoding="utf-8",
    )
    backend = "sqlite" if sources.database_url.startswith("sqlite") else "postgresql"
    manifest = Manifest(
        format=FORMAT,
        label=label,
        taken_at=now.isoformat(),
        backend=backend,
        database_file=copied.file,
        audit_head=copied.audit_head,
        counts=copied.counts,
        recordings_root=str(sources.recordings),
        recording_files=files,
        damaged=damaged,
    )
    (staging / MANIFEST).write_text(manifest.dump(), encoding="utf-8")
    return manifest


def _link_tree(source: Path, target: Path) -> int:
    """Hard-link (else copy) every finished file under ``source``; how many."""
    target.mkdir(parents=True)
    if not source.is_dir():
        return 0
    count = 0
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue  # .partial files: a copy or a seal still being written
        placed = target / path.relative_to(source)
        placed.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, placed)
        except OSError:
            shutil.copy2(path, placed)
        count += 1
    return count
