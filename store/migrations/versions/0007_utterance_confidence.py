"""utterance confidence and the recogniser's alternative texts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 12:00:00
"""

from __future__ import annotations

import math

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("utterance") as batch:
        batch.add_column(sa.Column("confidence", sa.Double(), nullable=True))
        batch.add_column(sa.Column("alternatives", sa.JSON(), nullable=True))
    _confidence_of_existing_utterances()


def _confidence_of_existing_utterances() -> None:
    """exp(avg_logprob), as the transcriber now stores it (SQLite may lack exp())."""
    utterance = sa.table(
        "utterance",
        sa.column("id", sa.Integer()),
        sa.column("avg_logprob", sa.Double()),
        sa.column("confidence", sa.Double()),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(utterance.c.id, utterance.c.avg_logprob).where(
            utterance.c.avg_logprob.is_not(None)
        )
    ).all()
    for row_id, logprob in rows:
        bind.execute(
            sa.update(utterance)
            .where(utterance.c.id == row_id)
            .values(confidence=math.exp(min(logprob, 0.0)))
        )


def downgrade() -> None:
    with op.batch_alter_table("utterance") as batch:
        batch.drop_column("alternatives")
        batch.drop_column("confidence")
