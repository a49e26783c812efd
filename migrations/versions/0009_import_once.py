"""an assessment remembers the signed export it was imported from, so an export imports once

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_export_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_assessment_source_export_id"), ["source_export_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_source_export_id"))
        batch_op.drop_column("source_export_id")
