"""the kept schedule: entries, its state and the marks writers leave (issue 17, item 5)

Revision ID: 0008_kept_schedule
Revises: 0007
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_kept_schedule"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "schedule_state",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("ruleset", sa.String(200), nullable=False),
        sa.Column("agents", sa.Text(), nullable=False),
        sa.Column("built_for", sa.DateTime(), nullable=False),
        sa.Column("valid_until", sa.DateTime(), nullable=False),
        sa.Column("written_at", sa.DateTime(), nullable=False),
        sa.Column("generation", _ID, nullable=False),
        sa.Column("entries", _ID, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_state"),
    )
    op.create_table(
        "schedule_entry",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("agent", sa.String(32), nullable=False),
        sa.Column("tier", _ID, nullable=False),
        sa.Column("due_key", sa.DateTime(), nullable=False),
        sa.Column("neg_days_past_due", _ID, nullable=False),
        sa.Column("neg_amount_cents", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("place", _ID, nullable=False),
        sa.Column("phone_number_id", _ID, nullable=False),
        sa.Column("account_no", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("e164", sa.String(20), nullable=False),
        sa.Column("rule", sa.String(80), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("due_by", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_entry"),
    )
    op.create_index(
        "ix_schedule_entry_order",
        "schedule_entry",
        [
            "agent",
            "tier",
            "due_key",
            "neg_days_past_due",
            "neg_amount_cents",
            "case_id",
            "place",
        ],
    )
    op.create_index("ix_schedule_entry_case", "schedule_entry", ["case_id"])
    op.create_table(
        "schedule_mark",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("case_id", _ID, nullable=True),
        sa.Column("person_id", _ID, nullable=True),
        sa.Column("e164", sa.String(20), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_mark"),
    )


def downgrade() -> None:
    op.drop_table("schedule_mark")
    op.drop_index("ix_schedule_entry_case", table_name="schedule_entry")
    op.drop_index("ix_schedule_entry_order", table_name="schedule_entry")
    op.drop_table("schedule_entry")
    op.drop_table("schedule_state")
