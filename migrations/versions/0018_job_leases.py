"""a background job carries a lease: who runs it, until when, and how many times it was started

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fairness_audit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index("ix_fairness_audit_status_lease", ["status", "lease_until"])


def downgrade() -> None:
    with op.batch_alter_table("fairness_audit", schema=None) as batch_op:
        batch_op.drop_index("ix_fairness_audit_status_lease")
        batch_op.drop_column("attempts")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_owner")
