"""recording: the same content may belong to several attempts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 16:45:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recording") as batch:
        batch.drop_constraint("uq_recording_sha256", type_="unique")
        batch.create_unique_constraint(
            "uq_recording_sha256_call_attempt_id", ["sha256", "call_attempt_id"]
        )
        batch.create_index("ix_recording_sha256", ["sha256"])


def downgrade() -> None:
    with op.batch_alter_table("recording") as batch:
        batch.drop_index("ix_recording_sha256")
        batch.drop_constraint("uq_recording_sha256_call_attempt_id", type_="unique")
        batch.create_unique_constraint("uq_recording_sha256", ["sha256"])
