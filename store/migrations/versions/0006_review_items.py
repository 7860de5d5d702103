"""review items: weak sound matches for QA to listen to; how each flag matched

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=24)


def upgrade() -> None:
    with op.batch_alter_table("flag") as batch:
        batch.add_column(sa.Column("match_kind", sa.String(16), nullable=True))
    op.create_table(
        "review_item",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("recording_id", _ID, nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("rule_id", sa.String(80), nullable=False),
        sa.Column("severity", _ID, nullable=False),
        sa.Column("speaker", _enum("ck_speaker", "agent", "callee", "unknown"), nullable=False),
        sa.Column("start_s", sa.Double(), nullable=False),
        sa.Column("end_s", sa.Double(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("match_start", _ID, nullable=False),
        sa.Column("match_end", _ID, nullable=False),
        sa.Column("cost", sa.Double(), nullable=False),
        sa.Column("detector_version", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column(
            "status", _enum("ck_reviewstatus", "open", "promoted", "dismissed"), nullable=False
        ),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("flag_id", _ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recording.id"],
            name="fk_review_item_recording_id_recording",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["flag.id"], name="fk_review_item_flag_id_flag", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_review_item"),
        sa.UniqueConstraint(
            "recording_id",
            "category",
            "speaker",
            "start_s",
            name="uq_review_item_recording_id_category_speaker_start_s",
        ),
    )
    op.create_index("ix_review_item_recording_id", "review_item", ["recording_id"])
    op.create_index("ix_review_item_category", "review_item", ["category"])


def downgrade() -> None:
    op.drop_index("ix_review_item_category", table_name="review_item")
    op.drop_index("ix_review_item_recording_id", table_name="review_item")
    op.drop_table("review_item")
    with op.batch_alter_table("flag") as batch:
        batch.drop_column("match_kind")
