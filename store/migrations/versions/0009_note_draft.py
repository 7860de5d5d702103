"""the note drafted from the call, kept beside what the agent saved (issue 22, item 3)

Revision ID: 0009_note_draft
Revises: 0008_kept_schedule
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_note_draft"
down_revision = "0008_kept_schedule"
branch_labels = None
depends_on = None

_COLUMNS = ("draft_outcome", "draft_amount_cents", "draft_date", "draft_text", "draft_rules")


def upgrade() -> None:
    with op.batch_alter_table("collection_note") as batch:
        batch.add_column(sa.Column("draft_outcome", sa.String(40), nullable=True))
        batch.add_column(
            sa.Column(
                "draft_amount_cents",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("draft_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("draft_text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("draft_rules", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("collection_note") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
