"""a console user's own SIP phone, for listening in on calls (issue 18 item 5)

Revision ID: 0019_spy
Revises: 0018_ranking
Create Date: 2026-12-01 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_spy"
down_revision = "0018_ranking"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("sip_endpoint", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("sip_endpoint")
