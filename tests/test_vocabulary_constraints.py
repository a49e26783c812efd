"""Roles, kinds, statuses and purposes are constrained in the database itself, not only in the code."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from hria.extensions import db


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE assessment SET status = 'finished'",
        "UPDATE user_account SET role = 'superuser'",
        "UPDATE organisation SET kind = 'charity'",
        "UPDATE evidence SET purpose = 'anything'",
    ],
)
def test_a_value_outside_its_vocabulary_is_refused_by_the_database(app, world, statement):
    with app.app_context():
        with pytest.raises(IntegrityError, match="CHECK constraint failed"):
            db.session.execute(text(statement))
        db.session.rollback()
        assert (
            db.session.execute(text("SELECT count(*) FROM assessment WHERE status = 'draft'")).scalar() >= 1
        )
