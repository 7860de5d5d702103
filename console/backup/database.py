"""The database, copied consistently into a backup and checked once restored. Not pure: opens
the database and runs PostgreSQL's own tools (``pg_dump``, ``pg_restore``).

SQLite is copied with its online backup API: a page-by-page copy that readers and writers
do not have to stop for, of one consistent state. PostgreSQL is dumped with ``pg_dump -Fc``
inside one exported snapshot, the same one the audit chain's head and the row counts are
read in, so the head a backup records is exactly the last row its dump holds.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from console.backup.errors import BackupError

SQLITE_FILE = "callwarden.db"
PG_DUMP_FILE = "callwarden.pgdump"
_HEAD = "SELECT id, chain_hash FROM audit_log ORDER BY chain_seq DESC LIMIT 1"
_EMPTY_HEAD = f"0:{'0' * 64}"
_RECORDINGS = "SELECT id, sha256, path FROM recording ORDER BY id"


@dataclass(frozen=True)
class Copied:
    """What a database copy holds: its file, the audit chain's head, rows per table, and its
    recording rows (id, sha256, path), which the backup checks the archive's files against."""

    file: str
    audit_head: str
    counts: dict[str, int]
    recordings: tuple[tuple[int, str, str], ...] = ()


def copy_database(url: str, folder: Path) -> Copied:
    """Copy the database at ``url`` into ``folder`` (SQLite file or PostgreSQL dump)."""
    folder.mkdir(parents=True, exist_ok=True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _copy_sqlite(Path(parsed.database or ""), folder / SQLITE_FILE)
    return _dump_postgres(parsed, folder / PG_DUMP_FILE)


def _copy_sqlite(source: Path, target: Path) -> Copied:
    if not source.is_file():
        raise BackupError(f"{source}: no SQLite database there")
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        # one self-contained file: the live database's WAL mode would leave the copy's
        # pages split between the file and a -wal beside it
        dst.execute("PRAGMA journal_mode=DELETE")
        rows = tuple((int(i), str(h), str(p)) for i, h, p in dst.execute(_RECORDINGS))
        return Copied(SQLITE_FILE, _sqlite_head(dst), sqlite_counts(dst), rows)
    finally:
        dst.close()
        src.close()


def _sqlite_head(conn: sqlite3.Connection) -> str:
    row = conn.execute(_HEAD).fetchone()
    return _EMPTY_HEAD if row is None else f"{row[0]}:{row[1]}"


def sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def libpq(parsed: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment that gives it."""
    params = {
        "host": parsed.host,
        "port": parsed.port,
        "user": parsed.username,
        "dbname": parsed.database,
        **{k: str(v) for k, v in parsed.query.items()},
    }
    conninfo = psycopg.conninfo.make_conninfo("", **{k: v for k, v in params.items() if v})
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    return conninfo, env


def _pg_connect(parsed: URL, autocommit: bool = False) -> psycopg.Connection[tuple[object, ...]]:
    conninfo, env = libpq(parsed)
    return psycopg.connect(conninfo, password=env.get("PGPASSWORD"), autocommit=autocommit)


def pg_counts(conn: psycopg.Connection[tuple[object, ...]]) -> dict[str, int]:
    names = [
        str(r[0])
        for r in conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
    ]
    counts: dict[str, int] = {}
    for name in names:
        found = conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()
        counts[name] = int(str(found[0])) if found else 0
    return counts


def pg_tables(parsed: URL) -> list[str] | None:
    """The tables in the ``public`` schema of the database ``parsed`` names; None when that
    database does not exist on its server (a restore into service then creates it)."""
    try:
        with _pg_connect(parsed) as conn:
            rows = conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchall()
    except psycopg.OperationalError as exc:
        if not pg_database_exists(parsed):
            return None
        raise BackupError(
            f"连不上要恢复到的数据库 / cannot open the database {parsed.database!r} on "
            f"{parsed.host}: {_first_line(exc)}"
        ) from exc
    return [str(r[0]) for r in rows]


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _maintenance(parsed: URL) -> psycopg.Connection[tuple[object, ...]]:
    """The server's maintenance database, ``postgres``: reachable when the configured
    database is what was lost."""
    try:
        return _pg_connect(parsed.set(database="postgres"), autocommit=True)
    except psycopg.OperationalError as exc:
        raise BackupError(
            f"连不上数据库服务器的维护库 / cannot open the maintenance database 'postgres' on "
            f"{parsed.host}: {_first_line(exc)}"
        ) from exc


def pg_database_exists(parsed: URL) -> bool:
    with _maintenance(parsed) as admin:
        found = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)
        ).fetchone()
    return found is not None


def create_pg_database(parsed: URL) -> None:
    """Create the (missing) database ``parsed`` names, empty, owned by its user."""
    try:
        with _maintenance(parsed) as admin:
            admin.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parsed.database or ""))
            )
    except psycopg.Error as exc:
        raise BackupError(
            f"未能创建数据库 / cannot create the database {parsed.database!r} on "
            f"{parsed.host}: {_first_line(exc)}"
        ) from exc


def drop_pg_database(parsed: URL) -> None:
    """Drop the database ``parsed`` names (one a failed restore created, left as it was)."""
    with _maintenance(parsed) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(parsed.database or "")
            )
        )


def restore_dump(parsed: URL, dump: Path) -> None:
    """``dump`` restored into the (empty) database ``parsed`` names, all or nothing."""
    conninfo, env = libpq(parsed)
    _tool(
        ["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", str(dump)],
        conninfo,
        env,
    )


def _dump_postgres(parsed: URL, target: Path) -> Copied:
    conninfo, env = libpq(parsed)
    with _pg_connect(parsed) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        exported = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert exported is not None
        row = conn.execute(_HEAD).fetchone()
        head = _EMPTY_HEAD if row is None else f"{row[0]}:{row[1]}"
        counts = pg_counts(conn)
        rows = tuple((int(str(i)), str(h), str(p)) for i, h, p in conn.execute(_RECORDINGS))
        # the transaction stays open while pg_dump reads in its snapshot
        _tool(
            ["pg_dump", "-Fc", "--no-owner", f"--snapshot={exported[0]}", "-f", str(target)],
            conninfo,
            env,
        )
    return Copied(PG_DUMP_FILE, head, counts, rows)


def _tool(args: list[str], conninfo: str, env: dict[str, str]) -> None:
    try:
        done = subprocess.run(
            [*args, f"--dbname={conninfo}"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        raise BackupError(f"cannot run {args[0]}: {exc.strerror}") from exc
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-4:])
        raise BackupError(f"{args[0]} failed (exit {done.returncode}): {tail}")


def sqlite_integrity(path: Path) -> str:
    """``PRAGMA integrity_check``'s answer: ``ok``, or the problems it found."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return "; ".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


@contextmanager
def scratch_postgres(server_url: str, dump: Path) -> Iterator[str]:
    """``dump`` restored into a new database on ``server_url``'s server, dropped afterwards;
    yields its SQLAlchemy URL. ``pg_restore`` stops at the first error."""
    parsed = make_url(server_url)
    name = f"cw_restore_{uuid.uuid4().hex[:10]}"
    # through the server's maintenance database: the configured one may be what was lost
    maintenance = parsed.set(database="postgres")
    with _pg_connect(maintenance, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    scratch = parsed.set(database=name)
    try:
        conninfo, env = libpq(scratch)
        _tool(["pg_restore", "--no-owner", "--exit-on-error", str(dump)], conninfo, env)
        yield scratch.render_as_string(hide_password=False)
    finally:
        with _pg_connect(maintenance, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
