"""Logging through the PII mask, and what a user may be told about a database error."""

from __future__ import annotations

import logging
import sqlite3
import sys

from sqlalchemy.exc import DBAPIError

from store.pii import MaskingFilter, mask_text


class MaskingFormatter(logging.Formatter):
    """Masks PII in the whole rendered record, the traceback included: an exception's
    message (a database's DETAIL line, say) can carry a resident ID or a number."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))


def configure_logging(level: str) -> None:
    """Log to stderr through the PII mask (uvicorn's loggers too: ``serve`` gives it no
    configuration of its own, so they propagate here)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # alembic narrates every migration step at INFO; the CLI prints its own summary.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # a line per decode


def describe_db_error(exc: DBAPIError) -> str:
    """What a user may be told about a database error: its kind and the constraint, table
    or column it names, never the values (PostgreSQL's DETAIL and messages quote them)."""
    orig = exc.orig
    parts = [type(orig).__name__]
    if isinstance(orig, sqlite3.Error):
        parts.append(str(orig))  # SQLite names columns and constraints, never values
    diag = getattr(orig, "diag", None)
    for key in ("constraint_name", "table_name", "column_name"):
        value = getattr(diag, key, None)
        if value:
            parts.append(f"{key.split('_')[0]} {value}")
    return ", ".join(parts)
