"""legal holds and retention tombstones (issue 21, item 2)

Revision ID: 0017_retention
Revises: 0016_queue
Create Date: 2026-11-30 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.types

revision = "0017_retention"
down_revision = "0016_queue"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=24)


def upgrade() -> None:
    op.create_table(
        "legal_hold",
        sa.Column("id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("reason", _enum("ck_legalholdreason", "dispute", "admin"), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(64), nullable=False),
        sa.Column("placed_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("released_by", sa.String(64), nullable=True),
        sa.Column("released_at", store.types.UTCDateTime(), nullable=True),
        sa.Column("release_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["collection_case.id"],
            name=op.f("fk_legal_hold_case_id_collection_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_hold")),
    )
    with op.batch_alter_table("legal_hold") as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_hold_case_id"), ["case_id"], unique=False)
    op.create_table(
        "retention_tombstone",
        sa.Column("id", _ID, nullable=False),
        sa.Column(
            "kind", _enum("ck_kind", "recording", "transcript", "note", "attempt"), nullable=False
        ),
        sa.Column("object_id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=True),
        sa.Column("bank", sa.String(64), nullable=True),
        sa.Column("rule", sa.String(120), nullable=False),
        sa.Column("rules_source", sa.String(500), nullable=False),
        sa.Column("since", store.types.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("deleted_by", sa.String(64), nullable=False),
        sa.Column("file_path", sa.String(500), nullable=True),
        sa.Column("file_removed_at", store.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_tombstone")),
    )
    with op.batch_alter_table("retention_tombstone") as batch_op:
        batch_op.create_index(
            "ix_retention_tombstone_kind_object", ["kind", "object_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_retention_tombstone_deleted_at"), ["deleted_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("retention_tombstone")
    op.drop_table("legal_hold")
