"""a system carries its impact level: the gravest any of its assessments reached

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Written out, not imported: the levels of the banks of the day, lowest first.
LEVELS = ("I", "II", "III", "IV")


def upgrade() -> None:
    with op.batch_alter_table("ai_system", schema=None) as batch_op:
        batch_op.add_column(sa.Column("impact_level", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("impact_level_from_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_ai_system_impact_level_from", "assessment", ["impact_level_from_id"], ["id"]
        )
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, system_id, impact_level FROM assessment WHERE impact_level IS NOT NULL")
    ).all()
    gravest: dict[int, tuple[str, int]] = {}
    for assessment_id, system_id, level in rows:
        if level not in LEVELS:
            continue
        held = gravest.get(system_id)
        if held is None or LEVELS.index(level) > LEVELS.index(held[0]):
            gravest[system_id] = (level, assessment_id)
    for system_id, (level, assessment_id) in gravest.items():
        connection.execute(
            sa.text(
                "UPDATE ai_system SET impact_level = :level, impact_level_from_id = :source WHERE id = :id"
            ),
            {"level": level, "source": assessment_id, "id": system_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("ai_system", schema=None) as batch_op:
        batch_op.drop_constraint("fk_ai_system_impact_level_from", type_="foreignkey")
        batch_op.drop_column("impact_level_from_id")
        batch_op.drop_column("impact_level")
