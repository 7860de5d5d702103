"""a debtor's consent per case: outside the window or more often (issue 19 item 2)

Revision ID: 0013_consent
Revises: 0011_audit_chain
Create Date: 2026-12-03 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.types

revision = "0013_consent"
down_revision = "0012_payments"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "case_consent",
        sa.Column("id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column(
            "scope",
            sa.Enum(
                "window",
                "frequency",
                name="ck_consentscope",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("valid_from", store.types.UTCDateTime(), nullable=False),
        sa.Column("valid_until", store.types.UTCDateTime(), nullable=False),
        sa.Column("call_attempt_id", _ID, nullable=True),
        sa.Column("utterance_id", _ID, nullable=True),
        sa.Column("evidence_note", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("approved_by", sa.String(64), nullable=True),
        sa.Column("approved_at", store.types.UTCDateTime(), nullable=True),
        sa.Column("withdrawn_by", sa.String(64), nullable=True),
        sa.Column("withdrawn_at", store.types.UTCDateTime(), nullable=True),
        sa.Column("withdraw_note", sa.Text(), nullable=True),
        sa.CheckConstraint("valid_from < valid_until", name=op.f("ck_case_consent_consent_period")),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["collection_case.id"],
            name=op.f("fk_case_consent_case_id_collection_case"),
        ),
        sa.ForeignKeyConstraint(
            ["call_attempt_id"],
            ["call_attempt.id"],
            name=op.f("fk_case_consent_call_attempt_id_call_attempt"),
        ),
        sa.ForeignKeyConstraint(
            ["utterance_id"], ["utterance.id"], name=op.f("fk_case_consent_utterance_id_utterance")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_consent")),
    )
    op.create_index("ix_case_consent_case_id", "case_consent", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_consent_case_id", table_name="case_consent")
    op.drop_table("case_consent")
