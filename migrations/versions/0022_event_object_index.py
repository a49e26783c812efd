"""an index of the trail's events by the object they are about

The system page's timeline and each object's history look events up by object; without the index every
such look-up reads the whole trail (half a second a look-up at 100,000 events).

Revision ID: 0022
Revises: 0021
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_event_object", "event", ["object_type", "object_id"])


def downgrade() -> None:
    op.drop_index("ix_event_object", table_name="event")
