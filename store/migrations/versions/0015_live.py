"""live utterances, alerts and calls heard whole (issue 18, items 1-2)

Revision ID: 0015_live
Revises: 0014_complaints
Create Date: 2026-11-30 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.types

revision = "0015_live"
down_revision = "0014_complaints"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _speaker() -> sa.Enum:
    return sa.Enum(
        "agent",
        "callee",
        "unknown",
        name="ck_speaker",
        native_enum=False,
        create_constraint=True,
        length=24,
    )


def upgrade() -> None:
    op.create_table(
        "live_utterance",
        sa.Column("id", _ID, nullable=False),
        sa.Column("call_attempt_id", _ID, nullable=False),
        sa.Column("speaker", _speaker(), nullable=False),
        sa.Column("start_s", sa.Double(), nullable=False),
        sa.Column("end_s", sa.Double(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("avg_logprob", sa.Double(), nullable=True),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.Column("stored_at", store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_attempt_id"],
            ["call_attempt.id"],
            name=op.f("fk_live_utterance_call_attempt_id_call_attempt"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_utterance")),
        sa.UniqueConstraint(
            "call_attempt_id",
            "speaker",
            "start_s",
            name=op.f("uq_live_utterance_call_attempt_id_speaker_start_s"),
        ),
    )
    with op.batch_alter_table("live_utterance") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_live_utterance_call_attempt_id"), ["call_attempt_id"], unique=False
        )
    op.create_table(
        "live_alert",
        sa.Column("id", _ID, nullable=False),
        sa.Column("call_attempt_id", _ID, nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("speaker", _speaker(), nullable=False),
        sa.Column("start_s", sa.Double(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("rule_id", sa.String(80), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("seen_at", store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_attempt_id"],
            ["call_attempt.id"],
            name=op.f("fk_live_alert_call_attempt_id_call_attempt"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_alert")),
    )
    with op.batch_alter_table("live_alert") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_live_alert_call_attempt_id"), ["call_attempt_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_live_alert_category"), ["category"], unique=False)
    op.create_table(
        "live_call",
        sa.Column("call_attempt_id", _ID, nullable=False),
        sa.Column("finished_at", store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_attempt_id"],
            ["call_attempt.id"],
            name=op.f("fk_live_call_call_attempt_id_call_attempt"),
        ),
        sa.PrimaryKeyConstraint("call_attempt_id", name=op.f("pk_live_call")),
    )


def downgrade() -> None:
    op.drop_table("live_call")
    op.drop_table("live_alert")
    op.drop_table("live_utterance")
