"""a contact's relation in the bank's own word (母亲, 丈夫, 同学…), beside its kind (issue 22)

Revision ID: 0020_relation_word
Revises: 0019_spy
Create Date: 2026-12-01 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_relation_word"
down_revision = "0019_spy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_contact") as batch:
        batch.add_column(sa.Column("relation_word", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_contact") as batch:
        batch.drop_column("relation_word")
