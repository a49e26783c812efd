"""whether a system is in operation

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ai_system", schema=None) as batch_op:
        batch_op.add_column(sa.Column("in_operation", sa.Boolean(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("ai_system", schema=None) as batch_op:
        batch_op.drop_column("in_operation")
