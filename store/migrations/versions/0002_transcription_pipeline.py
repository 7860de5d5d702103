"""recording: source name, contact type, worker lease, tries, model

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 15:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_INT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("recording", sa.Column("original_name", sa.String(length=500), nullable=True))
    op.add_column("recording", sa.Column("contact_type", sa.String(length=20), nullable=True))
    op.add_column("recording", sa.Column("tries", _INT, server_default="0", nullable=False))
    op.add_column("recording", sa.Column("claimed_by", sa.String(length=64), nullable=True))
    op.add_column("recording", sa.Column("claimed_at", store.types.UTCDateTime(), nullable=True))
    op.add_column(
        "recording", sa.Column("transcribed_at", store.types.UTCDateTime(), nullable=True)
    )
    op.add_column("recording", sa.Column("model_name", sa.String(length=80), nullable=True))


def downgrade() -> None:
    for column in (
        "model_name",
        "transcribed_at",
        "claimed_at",
        "claimed_by",
        "tries",
        "contact_type",
        "original_name",
    ):
        op.drop_column("recording", column)
