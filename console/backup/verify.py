"""The checks a restored backup must pass before anyone relies on it. Not pure: opens the
restored database and reads every restored recording.

1. the database: SQLite's ``PRAGMA integrity_check``, or the dump restored by ``pg_restore``
   into a scratch database (dropped afterwards);
2. every table holds as many rows as the manifest says were backed up;
3. every recording row's file is there and its audio has the row's sha256 (a sealed file is
   opened with the configured master key and checked chunk by chunk, then whole;
   ``backup.intact``); a failure is told apart as already damaged when the backup was taken
   (named in its manifest) or damaged since;
4. the audit chain holds, and holds the head stored in the manifest (a rewrite of the whole
   chain since would not).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import select
from sqlalchemy.engine import make_url

from console.backup.database import (
    libpq,
    pg_counts,
    scratch_postgres,
    sqlite_counts,
    sqlite_integrity,
)
from console.backup.errors import BackupError
from console.backup.intact import Damaged, damaged_recordings
from console.backup.snapshot import Manifest
from recorder.keys import KeyProvider
from store.audit import verify as verify_chain
from store.audit_chain import parse_head
from store.db import SessionFactory, make_engine, make_read_session_factory
from store.models import Recording

_NAMED = 10
"""Failures named one by one in a check's detail; the rest are counted."""


@dataclass(frozen=True)
class Check:
    """One check on a restored backup and what it found."""

    name: str
    ok: bool
    detail: str


def verify_restored(
    folder: Path, manifest: Manifest, server_url: str, keys: KeyProvider | None
) -> list[Check]:
    """Run every check on the backup restored in ``folder``; ``server_url`` is a PostgreSQL
    server to restore a dump into (unused for SQLite)."""
    dump = folder / "database" / manifest.database_file
    if not dump.is_file():
        return [Check("database", False, f"{dump} is missing")]
    checks: list[Check] = []
    with _restored_database(manifest, dump, server_url, checks) as url:
        if url is None:
            return checks
        engine = make_engine(url)
        try:
            reads = make_read_session_factory(engine)
            checks.append(_counts(url, manifest))
            checks.append(_recordings(reads, folder / "recordings", manifest, keys))
            checks.append(_audit(reads, manifest))
        finally:
            engine.dispose()
    return checks


def verify_in_service(
    database_url: str, recordings: Path, manifest: Manifest, keys: KeyProvider | None
) -> list[Check]:
    """The same checks on a backup put back into service: the configured database against
    the manifest's rows, every recording in the archive, the audit chain and its head."""
    engine = make_engine(database_url)
    try:
        reads = make_read_session_factory(engine)
        return [
            _counts(database_url, manifest),
            _recordings(reads, recordings, manifest, keys),
            _audit(reads, manifest),
        ]
    finally:
        engine.dispose()


@contextmanager
def _restored_database(
    manifest: Manifest, dump: Path, server_url: str, checks: list[Check]
) -> Iterator[str | None]:
    if manifest.backend == "sqlite":
        found = sqlite_integrity(dump)
        checks.append(Check("database", found == "ok", f"PRAGMA integrity_check: {found}"))
        yield f"sqlite:///{dump}" if found == "ok" else None
        return
    if not server_url.startswith("postgresql"):
        checks.append(Check("database", False, "a PostgreSQL dump needs a PostgreSQL server"))
        yield None
        return
    try:
        with scratch_postgres(server_url, dump) as url:
            checks.append(Check("database", True, "pg_restore into a scratch database: ok"))
            yield url
    except BackupError as exc:
        checks.append(Check("database", False, str(exc)))
        yield None


def _counts(url: str, manifest: Manifest) -> Check:
    found = _table_counts(url)
    wrong = [
        f"{table}: {found.get(table, 0)} rows, backed up {rows}"
        for table, rows in sorted(manifest.counts.items())
        if found.get(table, 0) != rows
    ]
    total = sum(manifest.counts.values())
    if wrong:
        return Check("rows", False, "; ".join(wrong[:_NAMED]))
    return Check("rows", True, f"{len(manifest.counts)} tables, {total} rows, as backed up")


def _table_counts(url: str) -> dict[str, int]:
    if url.startswith("sqlite"):
        lite = sqlite3.connect(f"file:{url.removeprefix('sqlite:///')}?mode=ro", uri=True)
        try:
            return sqlite_counts(lite)
        finally:
            lite.close()
    conninfo, env = libpq(make_url(url))
    with psycopg.connect(conninfo, password=env.get("PGPASSWORD")) as conn:
        return pg_counts(conn)


def _recordings(
    reads: SessionFactory, root: Path, manifest: Manifest, keys: KeyProvider | None
) -> Check:
    with reads() as session:
        rows = [
            (ident, sha256, path)
            for ident, sha256, path in session.execute(
                select(Recording.id, Recording.sha256, Recording.path)
            )
        ]
    count, damaged = damaged_recordings(rows, root, manifest.recordings_root, keys)
    if not damaged:
        return Check("recordings", True, f"{count} recording(s), each sha256 as stored")
    before = {d.recording_id for d in manifest.damaged}
    locked = [d for d in damaged if d.problem == "unchecked"]
    old = [d for d in damaged if d.recording_id in before and d.problem != "unchecked"]
    new = [d for d in damaged if d.recording_id not in before and d.problem != "unchecked"]
    parts = [f"{len(damaged)} of {count} failed"]
    if locked:
        parts.append(
            f"{len(locked)} sealed and not opened here: put back the master key they were "
            f"sealed under (未找到主密钥: {_named(locked)})"
        )
    if old:
        parts.append(
            f"{len(old)} already damaged when backup {manifest.label} was taken "
            f"(备份时已损坏: {_named(old)})"
        )
    if new:
        parts.append(f"{len(new)} damaged since the backup (备份后损坏): {_named(new)}")
    return Check("recordings", False, "; ".join(parts))


def _named(damaged: list[Damaged]) -> str:
    more = f" (and {len(damaged) - _NAMED} more)" if len(damaged) > _NAMED else ""
    return "; ".join(d.line() for d in damaged[:_NAMED]) + more


def _audit(reads: SessionFactory, manifest: Manifest) -> Check:
    head = parse_head(manifest.audit_head)
    verdict = verify_chain(reads, head)
    if verdict.broken is not None:
        return Check("audit", False, f"audit chain broken: {verdict.broken}")
    return Check("audit", True, f"{verdict.rows} row(s) chained, holding the stored head {head}")
