"""Engines and sessions for SQLite (embedded default, WAL) and PostgreSQL.

Two kinds of transaction, chosen by the session factory:

- **Writes** (``make_session_factory``, the default everywhere): on SQLite every
  transaction starts ``BEGIN IMMEDIATE``, so it takes the write lock before its first
  read and waits for it under the busy timeout. A deferred transaction that reads and
  then writes cannot wait: SQLite answers ``database is locked`` at once when another
  writer committed since its read began.
- **Reads** (``make_read_session_factory``): a plain deferred ``BEGIN``. Under WAL a
  reader sees the last committed state and never waits for a writer, however long the
  writer's transaction (an import) runs. A read session refuses to write, so a write
  cannot slip into one and fail under load.

On PostgreSQL row locks order writers; ``lock_timeout`` makes a lock that outlasts the
busy timeout fail (and the console answer 503) instead of hanging a request forever.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

SessionFactory = sessionmaker[Session]

READ_ONLY = "callwarden_read_only"
"""Execution option of the engine behind read sessions."""
NO_WAIT = "callwarden_no_wait"
"""Execution option: a SQLite writer that fails at once if the lock is taken (best-effort work)."""


class ReadOnlyViolation(RuntimeError):
    """A write was attempted in a read session: the code path must use a write session."""


def make_engine(url: str, busy_timeout_s: float = 30.0) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout.

    pysqlite's own transaction handling is switched off so that the ``BEGIN`` emitted
    here (immediate or deferred, see the module's docstring) is what the database sees.

    SQL parameters are hidden from error messages and logs: they are residents' IDs
    and numbers.
    """
    from store.schedule_marks import install  # noqa: PLC0415 (store.models imports this module's peers)

    install()  # every write of what a schedule reads leaves a mark (issue 17, kept schedule)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        timeout_ms = int(busy_timeout_s * 1000)
        engine = create_engine(
            url,
            pool_pre_ping=True,
            hide_parameters=True,
            connect_args={"options": f"-c lock_timeout={timeout_ms}"},
        )
        _refuse_writes_in_reads(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": busy_timeout_s}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        wait_ms = 0 if options.get(NO_WAIT) else int(busy_timeout_s * 1000)
        info = conn.connection.info
        if info.get("busy_timeout_ms") != wait_ms:  # the pooled connection keeps its setting
            conn.exec_driver_sql(f"PRAGMA busy_timeout={wait_ms}")
            info["busy_timeout_ms"] = wait_ms
        conn.exec_driver_sql("BEGIN" if options.get(READ_ONLY) else "BEGIN IMMEDIATE")

    _refuse_writes_in_reads(engine)
    return engine


def _refuse_writes_in_reads(engine: Engine) -> None:
    @event.listens_for(engine, "before_execute")
    def _check(conn: Any, clause: Any, *_args: Any) -> None:
        if getattr(clause, "is_dml", False) and conn.get_execution_options().get(READ_ONLY):
            raise ReadOnlyViolation(f"a read session may not write: {clause!s:.80}")


def make_session_factory(engine: Engine) -> SessionFactory:
    """Sessions for work that may write; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def make_read_session_factory(engine: Engine) -> SessionFactory:
    """Sessions that only read, and so never wait for a writer (see the module docstring)."""
    return sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)


def make_no_wait_session_factory(engine: Engine) -> SessionFactory:
    """Write sessions that give up at once on SQLite if another writer holds the lock."""
    return sessionmaker(engine.execution_options(**{NO_WAIT: True}), expire_on_commit=False)


def is_lock_timeout(exc: BaseException) -> bool:
    """True if ``exc`` is a database lock that outlasted the busy timeout (or a deadlock)."""
    if not isinstance(exc, OperationalError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        # lock_not_available, deadlock_detected, serialization_failure
        return sqlstate in {"55P03", "40P01", "40001"}
    return "locked" in str(exc.orig)
