"""Create or upgrade the schema to the newest alembic revision."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from store.db import READ_ONLY
from store.errors import DatabaseUnavailable, MigrationError

SCRIPT_LOCATION = "store:migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    return cfg


def head_revision() -> str:
    """The newest revision shipped with this version of callwarden."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise MigrationError("no migrations are shipped")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    try:
        # A read: every command checks the schema first, and must not wait for an import.
        with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"cannot read schema version: {exc}") from exc


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to head; harmless when already there. Returns (before, after)."""
    before = current_revision(engine)
    cfg = _config()
    try:
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                # SQLite alters a table by copying it; with foreign keys on, dropping the
                # old copy fails while other tables point at it. The pragma only takes
                # effect outside a transaction, so it goes straight to the driver.
                _driver_sql(conn, "PRAGMA foreign_keys=OFF")
            try:
                with conn.begin():
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
                    if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                        raise MigrationError("the upgrade left rows pointing at nothing")
            finally:
                if sqlite:
                    _driver_sql(conn, "PRAGMA foreign_keys=ON")
    except SQLAlchemyError as exc:
        raise MigrationError(f"schema upgrade failed: {exc}") from exc
    return before, head_revision()


def _driver_sql(conn: Connection, sql: str) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.execute(sql)
