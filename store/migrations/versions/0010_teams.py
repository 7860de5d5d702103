"""teams and the supervisor role (issue 18 item 3, issue 20 item 6)

Revision ID: 0010_teams
Revises: 0008_kept_schedule
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.types

revision = "0010_teams"
down_revision = "0009_note_draft"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_OLD_ROLES = ("agent", "qa", "admin")
_NEW_ROLES = (*_OLD_ROLES, "supervisor")
# The role column's CHECK, named by the models' naming convention (ck_<table>_<enum name>).
_ROLE_CHECK = "ck_app_user_ck_role"


def _role(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="ck_role", native_enum=False, create_constraint=True, length=24)


def _set_roles(values: tuple[str, ...], before: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot alter a CHECK: the table is copied with the new one.
        with op.batch_alter_table("app_user", recreate="always") as batch:
            batch.alter_column("role", existing_type=_role(before), type_=_role(values))
        return
    listed = ", ".join(f"'{value}'" for value in values)
    op.execute(f"ALTER TABLE app_user DROP CONSTRAINT {_ROLE_CHECK}")
    op.execute(f"ALTER TABLE app_user ADD CONSTRAINT {_ROLE_CHECK} CHECK (role IN ({listed}))")


def upgrade() -> None:
    op.create_table(
        "team",
        sa.Column("id", _ID, nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_team"),
        sa.UniqueConstraint("code", name="uq_team_code"),
    )
    op.create_table(
        "team_supervisor",
        sa.Column("id", _ID, nullable=False),
        sa.Column("team_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name="fk_team_supervisor_team_id_team", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name="fk_team_supervisor_user_id_app_user",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_team_supervisor"),
        sa.UniqueConstraint("team_id", "user_id", name="uq_team_supervisor_team_id_user_id"),
    )
    op.create_index("ix_team_supervisor_user_id", "team_supervisor", ["user_id"])
    with op.batch_alter_table("agent") as batch:
        batch.add_column(sa.Column("team_id", _ID, nullable=True))
        batch.create_foreign_key("fk_agent_team_id_team", "team", ["team_id"], ["id"])
        batch.create_index("ix_agent_team_id", ["team_id"])
    _set_roles(_NEW_ROLES, _OLD_ROLES)


def downgrade() -> None:
    op.execute("DELETE FROM app_user WHERE role = 'supervisor'")
    _set_roles(_OLD_ROLES, _NEW_ROLES)
    with op.batch_alter_table("agent") as batch:
        batch.drop_index("ix_agent_team_id")
        batch.drop_constraint("fk_agent_team_id_team", type_="foreignkey")
        batch.drop_column("team_id")
    op.drop_index("ix_team_supervisor_user_id", table_name="team_supervisor")
    op.drop_table("team_supervisor")
    op.drop_table("team")
