"""an index on call_attempt (agent_id, status): the agent's page asks for the agent's calls in
flight and those owing a note on every load (issue 17, the kept schedule's page under load)

Revision ID: 0024_attempt_agent_index
Revises: 0023_user_locale
Create Date: 2026-12-01 11:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0024_attempt_agent_index"
down_revision = "0023_user_locale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_call_attempt_agent_status", "call_attempt", ["agent_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_call_attempt_agent_status", table_name="call_attempt")
