"""the kept schedule keeps why a case is due in Chinese and in English, so that the
worklist shows it in its reader's language (issue 20)

Revision ID: 0026_due_reason_languages
Revises: 0025_blocked_reason_en
Create Date: 2026-12-01 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026_due_reason_languages"
down_revision = "0025_blocked_reason_en"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows kept before this have neither: the console shows their ``reason`` until the
    # schedule's owner next writes them.
    with op.batch_alter_table("schedule_entry") as batch:
        batch.add_column(sa.Column("reason_zh", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("reason_en", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("schedule_entry") as batch:
        batch.drop_column("reason_en")
        batch.drop_column("reason_zh")
