"""One import writes at a time; the others wait for it instead of failing.

Two imports of files that share debtors would otherwise both find a debtor missing and
both insert it (PostgreSQL: a unique violation), or (SQLite) fail on the write lock.
The import's transaction first takes an import lock, then reads what is already there:

- PostgreSQL: a transaction-scoped advisory lock, waited for without a lock timeout.
- SQLite: the write lock itself (``BEGIN IMMEDIATE``); when another writer holds it past
  the busy timeout, the import says so and tries again, having written nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from store.db import SessionFactory, is_lock_timeout

IMPORT_LOCK_KEY = 0x63770001  # "cw" and the import's number among callwarden's locks


@contextmanager
def import_transaction(
    sessions: SessionFactory, report: Callable[[str], None]
) -> Iterator[Session]:
    """A write transaction that holds the import lock; committed if the block ends normally."""
    waited = False
    while True:
        session = sessions()
        try:
            session.begin()
            _take_lock(session)
            break
        except OperationalError as exc:
            session.close()
            if not is_lock_timeout(exc):
                raise
            if not waited:
                report("another import or writer holds the database: waiting for it to finish")
                waited = True
    with session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _take_lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # This import may wait as long as the other runs; the lock timeout is for pages.
        session.execute(text("SET LOCAL lock_timeout = 0"))
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK_KEY})
    else:
        session.connection()  # BEGIN IMMEDIATE: the write lock, or a lock timeout
