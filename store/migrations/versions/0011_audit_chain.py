"""the audit log as a hash chain; the rows already there chained in id order (issue 21, item 3)

Revision ID: 0011_audit_chain
Revises: 0008_kept_schedule
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

import store.types
from store.audit_chain import CHAIN_VERSION, GENESIS, ChainRow, chain_hash

revision = "0011_audit_chain"
down_revision = "0010_teams"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_PAGE = 2000
# The table as this revision sees it, whatever the models say later.
_audit = sa.table(
    "audit_log",
    sa.column("id", _ID),
    sa.column("at", store.types.UTCDateTime()),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("object_type", sa.String()),
    sa.column("object_id", sa.String()),
    sa.column("detail", sa.JSON()),
    sa.column("chain_seq", _ID),
    sa.column("chain_version", sa.SmallInteger()),
    sa.column("chain_prev", sa.String()),
    sa.column("chain_hash", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_seq", _ID, nullable=True))
        batch_op.add_column(sa.Column("chain_version", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("chain_prev", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("chain_hash", sa.String(64), nullable=True))
    _chain_existing(op.get_bind())
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        for name in ("chain_seq", "chain_version", "chain_prev", "chain_hash"):
            batch_op.alter_column(name, nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_log_chain_seq"), ["chain_seq"])


def _pages(conn: sa.Connection) -> Iterator[list[Any]]:
    after = 0
    while True:
        rows = conn.execute(
            sa.select(
                _audit.c.id,
                _audit.c.at,
                _audit.c.actor,
                _audit.c.action,
                _audit.c.object_type,
                _audit.c.object_id,
                _audit.c.detail,
            )
            .where(_audit.c.id > after)
            .order_by(_audit.c.id)
            .limit(_PAGE)
        ).all()
        if not rows:
            return
        yield list(rows)
        after = rows[-1].id


def _chain_existing(conn: sa.Connection) -> None:
    """Chain the rows written before the chain existed, oldest id first, a page at a time."""
    update = (
        sa.update(_audit)
        .where(_audit.c.id == sa.bindparam("row_id"))
        .values(
            chain_seq=sa.bindparam("seq"),
            chain_version=CHAIN_VERSION,
            chain_prev=sa.bindparam("prev"),
            chain_hash=sa.bindparam("digest"),
        )
    )
    seq, prev = 0, GENESIS
    for page in _pages(conn):
        changes = []
        for found in page:
            seq += 1
            digest = chain_hash(ChainRow(*found), seq, prev)
            changes.append({"row_id": found.id, "seq": seq, "prev": prev, "digest": digest})
            prev = digest
        conn.execute(update, changes)


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_log_chain_seq"), type_="unique")
        for name in ("chain_hash", "chain_prev", "chain_version", "chain_seq"):
            batch_op.drop_column(name)
