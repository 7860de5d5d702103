"""the reverse audit (倒查) of the monthly ranking's bottom collectors (issue 20, item 4)

Revision ID: 0018_ranking
Revises: 0017_retention
Create Date: 2026-12-01 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.types

revision = "0018_ranking"
down_revision = "0017_retention"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_draw",
        sa.Column("id", _ID, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("seed", sa.String(200), nullable=False),
        sa.Column("bottom_n", _ID, nullable=False),
        sa.Column("per_agent", _ID, nullable=False),
        sa.Column("ranked", _ID, nullable=False),
        sa.Column("measures", sa.JSON(), nullable=False),
        sa.Column("drawn_by", sa.String(64), nullable=False),
        sa.Column("drawn_at", store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_draw"),
        sa.UniqueConstraint("month", name="uq_audit_draw_month"),
    )
    op.create_table(
        "audit_subject",
        sa.Column("id", _ID, nullable=False),
        sa.Column("draw_id", _ID, nullable=False),
        sa.Column("agent_id", _ID, nullable=False),
        sa.Column("position", _ID, nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("candidates", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["draw_id"],
            ["audit_draw.id"],
            name="fk_audit_subject_draw_id_audit_draw",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"], name="fk_audit_subject_agent_id_agent"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_subject"),
        sa.UniqueConstraint("draw_id", "agent_id", name="uq_audit_subject_draw_id_agent_id"),
    )
    op.create_index("ix_audit_subject_agent_id", "audit_subject", ["agent_id"])
    op.create_table(
        "audit_sample",
        sa.Column("id", _ID, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("ticket", sa.String(64), nullable=False),
        sa.Column("class_matches", sa.Boolean(), nullable=True),
        sa.Column("notes_match", sa.Boolean(), nullable=True),
        sa.Column("remark", sa.Text(), nullable=False),
        sa.Column("reviewed_by", sa.String(64), nullable=True),
        sa.Column("reviewed_at", store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["audit_subject.id"],
            name="fk_audit_sample_subject_id_audit_subject",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["collection_case.id"], name="fk_audit_sample_case_id_collection_case"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_audit_sample"),
        sa.UniqueConstraint("subject_id", "case_id", name="uq_audit_sample_subject_id_case_id"),
    )
    op.create_index("ix_audit_sample_subject_id", "audit_sample", ["subject_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_sample_subject_id", table_name="audit_sample")
    op.drop_table("audit_sample")
    op.drop_index("ix_audit_subject_agent_id", table_name="audit_subject")
    op.drop_table("audit_subject")
    op.drop_table("audit_draw")
