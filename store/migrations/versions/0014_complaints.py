"""the complaint register (投诉) and its links; holds gain the reason "complaint" (issue 20, item 5)

Revision ID: 0014_complaints
Revises: 0013_consent
Create Date: 2026-12-03 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.types

revision = "0014_complaints"
down_revision = "0013_consent"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_OLD_REASONS = ("complaint_tendency", "stolen", "jailed", "deceased", "manual")
_NEW_REASONS = (*_OLD_REASONS, "complaint")
# The reason column's CHECK, named by the models' naming convention (ck_<table>_<enum name>).
_REASON_CHECK = "ck_hold_ck_holdreason"
_CHANNELS = (
    "phone",
    "visit",
    "bank_forwarded",
    "unionpay",
    "regulator",
    "consumer_association",
    "media",
    "lawsuit",
)
_GRADES = ("routine", "important", "serious")


def _enum(name: str, values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=24)


def _set_reasons(values: tuple[str, ...], before: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot alter a CHECK: the table is copied with the new one.
        with op.batch_alter_table("hold", recreate="always") as batch:
            batch.alter_column(
                "reason",
                existing_type=_enum("ck_holdreason", before),
                type_=_enum("ck_holdreason", values),
            )
        return
    listed = ", ".join(f"'{value}'" for value in values)
    op.execute(f"ALTER TABLE hold DROP CONSTRAINT {_REASON_CHECK}")
    op.execute(f"ALTER TABLE hold ADD CONSTRAINT {_REASON_CHECK} CHECK (reason IN ({listed}))")


def upgrade() -> None:
    _set_reasons(_NEW_REASONS, _OLD_REASONS)
    op.create_table(
        "complaint",
        sa.Column("id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("channel", _enum("ck_channel", _CHANNELS), nullable=False),
        sa.Column("grade", _enum("ck_grade", _GRADES), nullable=False),
        sa.Column("derived_grade", _enum("ck_derived_grade", _GRADES), nullable=False),
        sa.Column("alleged", sa.Text(), nullable=False),
        sa.Column("handler", sa.String(64), nullable=False),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("opened_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", _enum("ck_complaintstatus", ("open", "resolved")), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.Column("resolved_at", store.types.UTCDateTime(), nullable=True),
        sa.Column("bank_told", sa.Boolean(), nullable=False),
        sa.Column("hold_id", _ID, nullable=False),
        sa.Column("source_flag_id", _ID, nullable=True),
        sa.Column("window_from", store.types.UTCDateTime(), nullable=True),
        sa.Column("window_to", store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["collection_case.id"], name="fk_complaint_case_id_collection_case"
        ),
        sa.ForeignKeyConstraint(["hold_id"], ["hold.id"], name="fk_complaint_hold_id_hold"),
        sa.ForeignKeyConstraint(
            ["source_flag_id"], ["flag.id"], name="fk_complaint_source_flag_id_flag"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_complaint"),
    )
    op.create_index("ix_complaint_case_id", "complaint", ["case_id"])
    op.create_table(
        "complaint_link",
        sa.Column("id", _ID, nullable=False),
        sa.Column("complaint_id", _ID, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("object_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name="fk_complaint_link_complaint_id_complaint",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_complaint_link"),
        sa.UniqueConstraint(
            "complaint_id",
            "kind",
            "object_id",
            name="uq_complaint_link_complaint_id_kind_object_id",
        ),
    )
    op.create_index("ix_complaint_link_complaint_id", "complaint_link", ["complaint_id"])


def downgrade() -> None:
    op.drop_index("ix_complaint_link_complaint_id", table_name="complaint_link")
    op.drop_table("complaint_link")
    op.drop_index("ix_complaint_case_id", table_name="complaint")
    op.drop_table("complaint")
    op.execute("DELETE FROM hold WHERE reason = 'complaint'")
    _set_reasons(_OLD_REASONS, _NEW_REASONS)
