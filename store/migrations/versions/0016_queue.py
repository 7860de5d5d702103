"""the kept schedule's blocked numbers of the cases it deals (issue 22, item 1)

Revision ID: 0016_queue
Revises: 0015_live
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.types

revision = "0016_queue"
down_revision = "0015_live"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "schedule_blocked",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("phone_number_id", _ID, nullable=False),
        sa.Column("rule", sa.String(80), nullable=False),
        sa.Column("reason_zh", sa.Text(), nullable=False),
        sa.Column("next_allowed_at", store.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_blocked"),
    )
    op.create_index("ix_schedule_blocked_case_id", "schedule_blocked", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_schedule_blocked_case_id", table_name="schedule_blocked")
    op.drop_table("schedule_blocked")
