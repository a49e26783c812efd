"""every assessment is pinned to a question bank version (pages no longer pin on first view)

Revision ID: 0011
Revises: 0010
"""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import questionnaires

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    assessments = sa.table("assessment", sa.column("id", sa.Integer), sa.column("bank_id", sa.Integer))
    if (
        connection.execute(
            sa.select(assessments.c.id).where(assessments.c.bank_id.is_(None)).limit(1)
        ).first()
        is None
    ):
        return
    banks = sa.table(
        "question_bank",
        sa.column("id", sa.Integer),
        sa.column("version", sa.String),
        sa.column("sha256", sa.String),
        sa.column("content", sa.Text),
        sa.column("created_at", sa.DateTime),
    )
    bank = questionnaires.load_bank()
    bank_id = connection.execute(sa.select(banks.c.id).where(banks.c.sha256 == bank["sha256"])).scalar()
    if bank_id is None:
        connection.execute(
            banks.insert().values(
                version=bank["version"],
                sha256=bank["sha256"],
                content=json.dumps(bank, ensure_ascii=False),
                created_at=datetime.now(UTC).replace(tzinfo=None),
            )
        )
        bank_id = connection.execute(sa.select(banks.c.id).where(banks.c.sha256 == bank["sha256"])).scalar()
    connection.execute(assessments.update().where(assessments.c.bank_id.is_(None)).values(bank_id=bank_id))


def downgrade() -> None:
    pass  # a pinned bank is what the assessment was answered against; unpinning would lose that
