"""Builds the objects a command needs, in one place, from validated settings."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field

from sqlalchemy import Engine

from config import Settings
from store.db import SessionFactory, make_engine, make_read_session_factory, make_session_factory
from store.errors import DatabaseUnavailable
from store.migrate import current_revision, head_revision
from store.pii import MaskingFilter


@dataclass(frozen=True)
class App:
    """The settings and the database handles shared by every command."""

    settings: Settings
    engine: Engine
    sessions: SessionFactory
    reads: SessionFactory = field(init=False)
    """Sessions that only read: under SQLite they never wait for a writer (an import)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "reads", make_read_session_factory(self.engine))

    def require_schema(self) -> None:
        """Fail unless ``callwarden init`` has brought the schema to this version."""
        current = current_revision(self.engine)
        if current is None:
            raise DatabaseUnavailable("the database is not initialised: run `callwarden init`")
        if current != head_revision():
            raise DatabaseUnavailable(
                f"the database schema is at {current}, this version needs {head_revision()}: "
                "run `callwarden init`"
            )


def build_app(settings: Settings) -> App:
    engine = make_engine(settings.database_url(), settings.database.busy_timeout_s)
    return App(settings=settings, engine=engine, sessions=make_session_factory(engine))


def configure_logging(level: str) -> None:
    """Log to stderr through the PII mask."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # alembic narrates every migration step at INFO; the CLI prints its own summary.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # a line per decode
