"""reports of incomplete work marked as drafts; conditions of an approval

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft", sa.Boolean(), nullable=False, server_default="0"))
    op.create_table(
        "approval_condition",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "assessment_id", sa.Integer(), sa.ForeignKey("assessment.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("fulfilment", sa.Text(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("fulfilled_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_approval_condition_assessment_id", "approval_condition", ["assessment_id"])


def downgrade() -> None:
    op.drop_index("ix_approval_condition_assessment_id", table_name="approval_condition")
    op.drop_table("approval_condition")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_column("draft")
