"""the one-time tokens of sent forms, kept in the database so double and replayed submits are noticed

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_submission",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token"),
    )
    with op.batch_alter_table("form_submission", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_submission_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("form_submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_submission_at"))
    op.drop_table("form_submission")
