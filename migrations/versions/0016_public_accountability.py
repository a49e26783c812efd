"""public accountability: a system's publication, grievances from the public, consultation records

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _one_of(column: str, values: tuple[str, ...], table: str) -> sa.CheckConstraint:
    keys = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({keys})", name=f"ck_{table}_{column}")


# Frozen here, as they were when this revision was written: a later vocabulary gets its own migration.
GRIEVANCE_STATUSES = ("received", "triaged", "answered")
CATEGORIES = ("affected_people", "community_group", "workers", "civil_society", "experts", "public_body")
METHODS = ("meeting", "workshop", "survey", "interviews", "written")


def upgrade() -> None:
    with op.batch_alter_table("ai_system", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(), nullable=True))
    op.create_table(
        "grievance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("what_happened", sa.Text(), nullable=False),
        sa.Column("happened_when", sa.String(length=100), nullable=False),
        sa.Column("contact", sa.String(length=300), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=True),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("responded_at", sa.DateTime(), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["system_id"], ["ai_system.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["finding_id"], ["finding.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["handled_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
        _one_of("status", GRIEVANCE_STATUSES, "grievance"),
    )
    with op.batch_alter_table("grievance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grievance_system_id"), ["system_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_grievance_received_at"), ["received_at"], unique=False)
    op.create_table(
        "public_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("public_submission", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_public_submission_address"), ["address"], unique=False)
        batch_op.create_index(batch_op.f("ix_public_submission_at"), ["at"], unique=False)
    op.create_table(
        "consultation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=True),
        sa.Column("what_they_said", sa.Text(), nullable=False),
        sa.Column("what_changed", sa.Text(), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("named_participants", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessment.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        _one_of("category", CATEGORIES, "consultation"),
        _one_of("method", METHODS, "consultation"),
    )
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consultation_assessment_id"), ["assessment_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_assessment_id"))
    op.drop_table("consultation")
    with op.batch_alter_table("public_submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_public_submission_at"))
        batch_op.drop_index(batch_op.f("ix_public_submission_address"))
    op.drop_table("public_submission")
    with op.batch_alter_table("grievance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grievance_received_at"))
        batch_op.drop_index(batch_op.f("ix_grievance_system_id"))
    op.drop_table("grievance")
    with op.batch_alter_table("ai_system", schema=None) as batch_op:
        batch_op.drop_column("published_at")
