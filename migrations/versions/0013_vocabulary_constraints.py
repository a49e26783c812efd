"""roles, organisation kinds, assessment statuses, report kinds and evidence purposes hold only their
vocabulary's keys

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps the vocabulary of the day it was written.
CONSTRAINTS = {
    ("organisation", "kind"): ("buyer", "vendor", "oversight"),
    ("user_account", "role"): ("admin", "procurer", "vendor", "oversight"),
    ("assessment", "status"): (
        "draft",
        "in_progress",
        "submitted",
        "under_review",
        "approved",
        "approved_with_conditions",
        "changes_requested",
        "rejected",
    ),
    ("report", "kind"): ("risk", "self-certification", "review"),
    ("evidence", "purpose"): ("question", "action", "model_outputs"),
}


def upgrade() -> None:
    for (table, column), values in CONSTRAINTS.items():
        keys = ", ".join(f"'{value}'" for value in values)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(f"ck_{table}_{column}", f"{column} IN ({keys})")


def downgrade() -> None:
    for table, column in CONSTRAINTS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"ck_{table}_{column}", type_="check")
