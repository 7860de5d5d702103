"""the kept schedule keeps a blocked number's policy reason in English too, so that an
English reader of the worklist sees it in English (issue 20)

Revision ID: 0025_blocked_reason_en
Revises: 0024_attempt_agent_index
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_blocked_reason_en"
down_revision = "0024_attempt_agent_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows kept before this have no English: the console shows their Chinese until the
    # schedule's owner next writes them.
    with op.batch_alter_table("schedule_blocked") as batch:
        batch.add_column(sa.Column("reason_en", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("schedule_blocked") as batch:
        batch.drop_column("reason_en")
