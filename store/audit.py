"""Writing the audit trail, inside the caller's transaction, as a hash chain; reading its head
and verifying it.

Each row is chained to the one before it (``store.audit_chain``). Appending is serialised
so that two writers never fork the chain: on SQLite every write transaction already holds
the database's write lock (``BEGIN IMMEDIATE``, see ``store.db``); on PostgreSQL
:func:`record_audit` takes a transaction-scoped advisory lock before it reads the chain's
head. Either way the lock is held until the caller commits, so a transaction should write
its audit row last. The row's id is drawn under the lock too, so id order is chain order,
and a rolled-back append leaves no hole.

The unique ``chain_seq`` is the last line of defence: a writer that bypassed the lock
would fail on it rather than fork the chain. I/O: the caller's session; :func:`verify`
reads in id order, a page at a time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from store.audit_chain import (
    CHAIN_VERSION,
    EMPTY_HEAD,
    GENESIS,
    ChainRow,
    Head,
    Verdict,
    chain_hash,
    verify_rows,
)
from store.db import SessionFactory
from store.models import AuditLog
from store.types import utcnow

PAGE = 2000
"""Rows per page when verifying: memory stays bounded whatever the table's size."""
_LOCK_KEY = int.from_bytes(hashlib.sha256(b"callwarden:audit-chain").digest()[:8], signed=True)


def record_audit(
    session: Session,
    actor: str,
    action: str,
    *,
    object_type: str = "",
    object_id: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Add one audit row; it commits or rolls back with the change it describes."""
    seq, prev = _lock_head(session)
    row = AuditLog(
        id=_next_id(session),
        at=utcnow(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        # As the JSON column will give it back (enums as their values, tuples as lists):
        # the hash must be of what is stored.
        detail=json.loads(json.dumps(detail or {})),
        chain_seq=seq + 1,
        chain_version=CHAIN_VERSION,
        chain_prev=prev,
    )
    row.chain_hash = chain_hash(_chain_row(row), seq + 1, prev)
    session.add(row)
    session.flush()
    return row


def _lock_head(session: Session) -> tuple[int, str]:
    """Serialise appenders, then read the chain's last position and hash."""
    session.flush()  # this transaction's own earlier rows are part of the head
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    last = session.execute(
        select(AuditLog.chain_seq, AuditLog.chain_hash).order_by(AuditLog.chain_seq.desc()).limit(1)
    ).first()
    return (0, GENESIS) if last is None else (last[0], last[1])


def _next_id(session: Session) -> int:
    """The next id, drawn under the lock (not from PostgreSQL's sequence): ids then follow
    chain order, whatever rows were inserted with explicit ids (a restore, the migration)."""
    drawn = session.scalar(text("SELECT coalesce(max(id), 0) + 1 FROM audit_log"))
    return int(drawn)


def _chain_row(row: AuditLog) -> ChainRow:
    return ChainRow(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        detail=row.detail,
        chain_seq=row.chain_seq,
        chain_version=row.chain_version,
        chain_prev=row.chain_prev,
        chain_hash=row.chain_hash,
    )


_TABLE = AuditLog.__table__
# Core columns, not ORM attributes: verify reads millions of rows, and skips the ORM's loading.
_COLUMNS = tuple(
    _TABLE.c[name]
    for name in (
        "id",
        "at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "detail",
        "chain_seq",
        "chain_version",
        "chain_prev",
        "chain_hash",
    )
)


def chain_rows(reads: SessionFactory, page: int = PAGE) -> Iterator[ChainRow]:
    """Every audit row in id order, a page at a time (keyset paging: O(rows), bounded memory)."""
    after = 0
    with reads() as session:
        while True:
            try:
                batch = (
                    session.connection()
                    .execute(
                        select(*_COLUMNS)
                        .where(_TABLE.c.id > after)
                        .order_by(_TABLE.c.id)
                        .limit(page)
                    )
                    .all()
                )
            except (ValueError, TypeError):
                # A row edited outside the program no longer decodes (detail that is not
                # JSON, a date that is not one): read this page row by row to name it.
                yield from _until_unreadable(session.connection(), after, page)
                return
            for found in batch:
                yield _typed(ChainRow(*found))
            if len(batch) < page:
                return
            after = batch[-1].id


def _until_unreadable(conn: Connection, after: int, page: int) -> Iterator[ChainRow]:
    ids = conn.scalars(
        select(_TABLE.c.id).where(_TABLE.c.id > after).order_by(_TABLE.c.id).limit(page)
    ).all()
    for row_id in ids:
        try:
            found = conn.execute(select(*_COLUMNS).where(_TABLE.c.id == row_id)).one()
        except (ValueError, TypeError):
            yield _unreadable(row_id, _bad_field(conn, row_id))
            return
        yield _typed(ChainRow(*found))


def _bad_field(conn: Connection, row_id: int) -> str:
    for column in _COLUMNS[1:]:
        try:
            conn.execute(select(column).where(_TABLE.c.id == row_id)).one()
        except (ValueError, TypeError) as exc:
            return f"{column.name}: {exc}"
    return "?: the row does not decode"


def _typed(row: ChainRow) -> ChainRow:
    """The row, or an unreadable one where a column holds a value of the wrong type (SQLite
    keeps what an edit writes: ``chain_seq = 'abc'``)."""
    for name, kind in _TYPES.items():
        value = getattr(row, name)
        if value is not None and not isinstance(value, kind):
            return _unreadable(row.id, f"{name}: {value!r:.40} is not {kind.__name__}")
    return row


def _unreadable(row_id: int, why: str) -> ChainRow:
    return ChainRow(row_id, datetime.min, "", "", "", "", None, unreadable=why)


_TYPES: dict[str, type] = {
    "at": datetime,
    "actor": str,
    "action": str,
    "object_type": str,
    "object_id": str,
    "chain_seq": int,
    "chain_version": int,
    "chain_prev": str,
    "chain_hash": str,
}


def verify(reads: SessionFactory, expect_head: Head | None = None) -> Verdict:
    """Walk the whole chain; the verdict names the first row edited, deleted or moved."""
    return verify_rows(chain_rows(reads), expect_head)


def chain_head(reads: SessionFactory) -> Head:
    """The chain's last row (id and hash), for a backup to keep; the empty head if none."""
    with reads() as session:
        last = session.execute(
            select(AuditLog.id, AuditLog.chain_hash).order_by(AuditLog.chain_seq.desc()).limit(1)
        ).first()
    return EMPTY_HEAD if last is None else Head(last[0], last[1])
