"""audit plans fixed before the data is uploaded, and the plan an audit ran under

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_plan",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "assessment_id", sa.Integer(), sa.ForeignKey("assessment.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_audit_plan_assessment_id", "audit_plan", ["assessment_id"])
    with op.batch_alter_table("fairness_audit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_fairness_audit_plan_id", "audit_plan", ["plan_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("fairness_audit", schema=None) as batch_op:
        batch_op.drop_constraint("fk_fairness_audit_plan_id", type_="foreignkey")
        batch_op.drop_column("plan_id")
    op.drop_index("ix_audit_plan_assessment_id", table_name="audit_plan")
    op.drop_table("audit_plan")
