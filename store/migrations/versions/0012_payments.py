"""payments from the client banks' files (issue 20, item 2)

Revision ID: 0012_payments
Revises: 0011_audit_chain
Create Date: 2026-12-03 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.types

revision = "0012_payments"
down_revision = "0011_audit_chain"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "payment",
        sa.Column("id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("amount_cents", _ID, nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("source_row", _ID, nullable=False),
        sa.Column("imported_by", sa.String(64), nullable=False),
        sa.Column("imported_at", store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["collection_case.id"], name="fk_payment_case_id_collection_case"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_payment"),
        sa.UniqueConstraint(
            "case_id",
            "paid_on",
            "amount_cents",
            "channel",
            "reference",
            name="uq_payment_case_id_paid_on_amount_cents_channel_reference",
        ),
    )


def downgrade() -> None:
    op.drop_table("payment")
