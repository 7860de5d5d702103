"""an agent's pauses (暂停), shown on the wallboard; no call is placed for a paused agent

Revision ID: 0021_agent_pause
Revises: 0020_relation_word
Create Date: 2026-12-01 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.types

revision = "0021_agent_pause"
down_revision = "0020_relation_word"
branch_labels = None
depends_on = None


_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "agent_pause",
        sa.Column("id", _ID, nullable=False),
        sa.Column("agent_id", _ID, nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("started_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("ended_at", store.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_agent_pause"),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"], name="fk_agent_pause_agent_id_agent"),
    )
    op.create_index("ix_agent_pause_agent_id", "agent_pause", ["agent_id"])


def downgrade() -> None:
    op.drop_index("ix_agent_pause_agent_id", table_name="agent_pause")
    op.drop_table("agent_pause")
