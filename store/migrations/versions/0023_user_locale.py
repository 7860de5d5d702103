"""each console user's language: zh_CN (the default) or en (issue 20)

Revision ID: 0023_user_locale
Revises: 0022_ringing
Create Date: 2026-12-01 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_user_locale"
down_revision = "0022_ringing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(
            sa.Column("locale", sa.String(length=8), nullable=False, server_default="zh_CN")
        )


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("locale")
