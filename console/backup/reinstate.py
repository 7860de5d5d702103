"""A restored and verified backup put back into service, after a lost database or archive.
Not pure: writes the configured database and the archive's folder.

It only ever fills what is empty: the configured database holds no tables (SQLite: no file,
or a file without tables; PostgreSQL: nothing in ``public``, or no database at all, which is
then created through the server's maintenance database), the archive's folder holds no
file, and each admins' folder is empty or missing. Anything already there is named and the
whole thing refused before a byte is written, so a mistyped command cannot overwrite the
live installation with yesterday's copy.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from console.backup.database import (
    create_pg_database,
    drop_pg_database,
    pg_tables,
    restore_dump,
)
from console.backup.errors import BackupError, RestoreRefused
from console.backup.snapshot import Manifest


def reinstate(
    folder: Path,
    manifest: Manifest,
    database_url: str,
    recordings: Path,
    admin: Mapping[str, Path],
) -> list[str]:
    """Put the backup restored in ``folder`` back: database, recordings, admins' files.
    Returns what was put where, a line each."""
    _require_same_archive(manifest, recordings)
    problems = _occupied(database_url, recordings, admin, folder)
    if problems:
        raise RestoreRefused(
            "恢复上线只填补空的位置 / putting a backup back into service only fills what is "
            "empty; already there: " + "; ".join(problems)
        )
    # the archive is copied beside its place first and moved in last: a copy that fails
    # half-way (a full disk) leaves neither a database without its recordings nor a
    # half-filled archive that would refuse the next try
    staged = staging_place(recordings)
    if staged.exists():
        shutil.rmtree(staged)
    files = _put_tree(folder / "recordings", staged)
    try:
        done = [_put_database(folder / "database" / manifest.database_file, database_url)]
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    if recordings.exists():
        shutil.rmtree(recordings)  # holds no file (checked above): empty folders only
    recordings.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, recordings)
    done.append(f"recordings: {files} file(s) into {recordings}")
    for name, target in sorted(admin.items()):
        source = folder / "admin" / name
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
            done.append(f"admin {name}: into {target}")
    return done


def staging_place(recordings: Path) -> Path:
    """Where the archive is copied before it is moved into place (cleared first)."""
    return recordings.with_name(recordings.name + ".restoring")


def require_apart(folder: Path, recordings: Path, admin: Mapping[str, Path]) -> None:
    """Refuse a restore folder in or around what a restore puts back: inside the archive, a
    copy of the database would be backed up with the recordings; as the staging place, the
    put-back would clear the checked copy itself before reading it."""
    folder = folder.absolute()
    for place in (p.absolute() for p in (recordings, staging_place(recordings), *admin.values())):
        if folder == place or place in folder.parents or folder in place.parents:
            raise RestoreRefused(
                f"恢复目录不能在在用的位置里 / {folder}: a restore folder may not lie in or "
                f"around {place}, which a restore into service fills; choose another folder"
            )


def _require_same_archive(manifest: Manifest, recordings: Path) -> None:
    # recording rows name their files by absolute path under the archive they were made in
    if Path(manifest.recordings_root).absolute() != recordings.absolute():
        raise RestoreRefused(
            f"录音目录不同 / the backup's recordings lived in {manifest.recordings_root}, this "
            f"installation's archive is {recordings}: the rows name their files under the "
            "former; set [paths] var_dir so the archive is the same folder, then try again"
        )


def _occupied(
    database_url: str, recordings: Path, admin: Mapping[str, Path], folder: Path
) -> list[str]:
    problems: list[str] = []
    tables = _tables(database_url)
    if tables:
        problems.append(f"the database {_safe(database_url)} holds {len(tables)} table(s)")
    if _has_files(recordings):
        problems.append(f"the archive {recordings} holds files")
    for name, target in sorted(admin.items()):
        if (folder / "admin" / name).is_dir() and _has_files(target):
            problems.append(f"the admins' {name} folder {target} holds files")
    return problems


def _tables(database_url: str) -> list[str] | None:
    """The database's tables; None when a PostgreSQL database is not there at all."""
    parsed = make_url(database_url)
    if parsed.get_backend_name() != "sqlite":
        return pg_tables(parsed)
    path = Path(parsed.database or "")
    if not path.is_file():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    finally:
        conn.close()
    return [str(r[0]) for r in rows]


def _put_database(copy: Path, database_url: str) -> str:
    parsed = make_url(database_url)
    if parsed.get_backend_name() != "sqlite":
        return _put_postgres(copy, parsed, database_url)
    target = Path(parsed.database or "")
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        # a WAL outliving its database would be replayed onto the restored file: SQLite
        # cannot tell that its frames belong to another database
        leftover.unlink(missing_ok=True)
    staged = target.with_name(target.name + ".restoring")
    try:
        shutil.copyfile(copy, staged)
        with staged.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(staged, target)
    except OSError as exc:
        staged.unlink(missing_ok=True)
        raise BackupError(f"数据库未能放回 / cannot put the database at {target}: {exc}") from exc
    return f"database: {target}"


def _put_postgres(copy: Path, parsed: URL, database_url: str) -> str:
    """The dump restored into the configured database, created first (through the server's
    maintenance database) when it is missing, and dropped again if the restore fails."""
    created = pg_tables(parsed) is None
    if created:
        create_pg_database(parsed)
    try:
        restore_dump(parsed, copy)
    except BaseException:
        if created:
            drop_pg_database(parsed)
        raise
    made = " (created: it was missing)" if created else ""
    return f"database: pg_restore into {_safe(database_url)}{made}"


def _put_tree(source: Path, target: Path) -> int:
    target.mkdir(parents=True)
    count = 0
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        placed = target / path.relative_to(source)
        placed.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, placed)
        count += 1
    return count


def _has_files(folder: Path) -> bool:
    return folder.is_dir() and any(p.is_file() for p in folder.rglob("*"))


def _safe(database_url: str) -> str:
    parsed = make_url(database_url)
    return parsed.render_as_string(hide_password=True) if parsed.password else database_url
