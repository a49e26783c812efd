"""The dashboard and the assessment page ask the database the same number of questions however many
systems, buyers and audits there are (no query per row)."""

import pytest
from sqlalchemy import event

from hria.domain.accounts import create_organisation
from hria.domain.models import (
    Assessment,
    Evidence,
    FairnessAudit,
    Invitation,
    Organisation,
    OversightAssignment,
    System,
)
from hria.extensions import db


def add_rows(app, world, count: int) -> None:
    """``count`` systems, each of a buyer of its own under board A with vendor A invited; ``count`` audits on
    assessment a, each of a file of its own."""
    with app.app_context():
        vendor = db.session.get(Organisation, world.orgs["vendor_a"])
        board = db.session.get(Organisation, world.orgs["board_a"])
        for i in range(count):
            city = create_organisation(f"City {count}-{i}", "buyer")
            db.session.add(OversightAssignment(oversight=board, overseen=city))
            system = System(
                name=f"System {city.name}", purpose="p", owner=city, vendor=vendor, sector="welfare"
            )
            assessment = Assessment(system=system, stage="scoping", status="draft", language="en")
            db.session.add_all([system, assessment, Invitation(assessment=assessment, organisation=vendor)])
            evidence = Evidence(
                assessment_id=world.assessments["a"],
                purpose="model_outputs",
                filename=f"outputs-{city.name}.csv",
                sha256=f"{count:032x}{i:032x}",
                size=1,
            )
            db.session.add_all(
                [
                    evidence,
                    FairnessAudit(
                        assessment_id=world.assessments["a"],
                        evidence=evidence,
                        settings="{}",
                        status="failed",
                        error="x",
                    ),
                ]
            )
        db.session.commit()


def statements_of(app, client, path: str) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(seen)


@pytest.mark.parametrize(
    ("user", "page"),
    [("oversight_a", "/"), ("vendor_a", "/"), ("procurer_a", "/"), ("procurer_a", "assessment")],
)
def test_page_queries_do_not_grow_with_rows(app, client, world, auth, user, page):
    auth.login(world.users[user])
    path = f"/assessments/{world.assessments['a']}" if page == "assessment" else page
    add_rows(app, world, 2)
    few = statements_of(app, client, path)
    add_rows(app, world, 10)
    assert statements_of(app, client, path) == few


def test_events_of_one_object_are_found_by_index_not_by_reading_the_trail(app):
    """The system page's timeline looks events up by object: at 100,000 events a scan took half a second."""
    from sqlalchemy import text

    with app.app_context():
        plan = db.session.execute(
            text("EXPLAIN QUERY PLAN SELECT * FROM event WHERE object_type = 'assessment' AND object_id = 1")
        ).all()
    assert "SEARCH event USING INDEX ix_event_object (object_type=? AND object_id=?)" in " ".join(
        str(row[-1]) for row in plan
    )
