"""when the callee's phone rang (Newstate Ringing), so the wallboard tells dialling from ringing

Revision ID: 0022_ringing
Revises: 0021_agent_pause
Create Date: 2026-12-01 08:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.types

revision = "0022_ringing"
down_revision = "0021_agent_pause"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call_attempt") as batch:
        batch.add_column(sa.Column("ringing_at", store.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_attempt") as batch:
        batch.drop_column("ringing_at")
