"""the legal basis an administrator records for a system whose scoping screening found a prohibited practice

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ai_system", schema=None) as batch_op:
        batch_op.add_column(sa.Column("legal_basis", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("legal_basis_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("legal_basis_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_ai_system_legal_basis_by", "user_account", ["legal_basis_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("ai_system", schema=None) as batch_op:
        batch_op.drop_constraint("fk_ai_system_legal_basis_by", type_="foreignkey")
        batch_op.drop_column("legal_basis_by_id")
        batch_op.drop_column("legal_basis_at")
        batch_op.drop_column("legal_basis")
