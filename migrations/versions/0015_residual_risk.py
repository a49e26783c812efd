"""a right's rating after its treatment (residual risk)

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

COLUMNS = ("residual_scale", "residual_scope", "residual_reversibility", "residual_likelihood")


def upgrade() -> None:
    with op.batch_alter_table("risk_rating", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("risk_rating", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
