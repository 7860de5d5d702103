"""web console: login sessions, versions of admin-edited files, QA spot checks, matched spans

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("flag") as batch:
        batch.add_column(sa.Column("match_start", _ID, nullable=True))
        batch.add_column(sa.Column("match_end", _ID, nullable=True))
    with op.batch_alter_table("recording") as batch:
        batch.add_column(sa.Column("spot_draw", sa.Double(), nullable=True))
        batch.create_index("ix_recording_spot_draw", ["spot_draw"])
    _draw_existing_recordings()
    op.create_table(
        "web_session",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name="fk_web_session_user_id_app_user",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_web_session"),
        sa.UniqueConstraint("token_sha256", name="uq_web_session_token_sha256"),
    )
    op.create_index("ix_web_session_user_id", "web_session", ["user_id"])
    op.create_table(
        "config_version",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", _ID, nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_config_version"),
        sa.UniqueConstraint("kind", "name", "version", name="uq_config_version_kind_name_version"),
    )
    op.create_table(
        "spot_check",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("recording_id", _ID, nullable=False),
        sa.Column("reviewer_id", _ID, nullable=False),
        sa.Column(
            "result",
            sa.Enum(
                "compliant",
                "issue",
                name="ck_spotcheckresult",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recording.id"],
            name="fk_spot_check_recording_id_recording",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["app_user.id"], name="fk_spot_check_reviewer_id_app_user"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_spot_check"),
        sa.UniqueConstraint("recording_id", name="uq_spot_check_recording_id"),
    )


def _draw_existing_recordings() -> None:
    """Give the recordings stored before this version their spot-check ticket."""
    conn = op.get_bind()
    recording = sa.table("recording", sa.column("id"), sa.column("sha256"), sa.column("spot_draw"))
    rows = conn.execute(sa.select(recording.c.id, recording.c.sha256)).all()
    for recording_id, sha256 in rows:
        conn.execute(
            recording.update()
            .where(recording.c.id == recording_id)
            .values(spot_draw=int(sha256[:13], 16) / 16**13)
        )


def downgrade() -> None:
    with op.batch_alter_table("recording") as batch:
        batch.drop_index("ix_recording_spot_draw")
        batch.drop_column("spot_draw")
    with op.batch_alter_table("flag") as batch:
        batch.drop_column("match_end")
        batch.drop_column("match_start")
    op.drop_table("spot_check")
    op.drop_table("config_version")
    op.drop_index("ix_web_session_user_id", table_name="web_session")
    op.drop_table("web_session")
