"""Every change writes a hash-chained event; `hria events verify` finds tampering."""

import itertools
import json

from click.testing import CliRunner
from conftest import post_form
from sqlalchemy import text

from hria.cli import main
from hria.domain.models import Event
from hria.extensions import db


def _events(app, object_type=None):
    with app.app_context():
        query = db.session.query(Event).order_by(Event.seq)
        if object_type:
            query = query.filter_by(object_type=object_type)
        return [(e.seq, e.action, e.object_id, e.actor, e.before, e.after) for e in query]


def test_editing_a_system_creates_an_event(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    system_id = world.systems["a"]
    before_count = len(_events(app))
    response = post_form(
        client,
        f"/systems/{system_id}/edit",
        f"/systems/{system_id}/edit",
        {
            "name": "Benefit scoring A (v2)",
            "purpose": "Scores applications",
            "owner_id": world.orgs["city_a"],
            "vendor_id": world.orgs["vendor_a"],
            "sector": "housing",
            "automated_decisions": "y",
        },
    )
    assert response.status_code == 302
    updates = [e for e in _events(app, "ai_system") if e[1] == "update"]
    assert len(updates) == 1
    _seq, _action, object_id, actor, before, after = updates[0]
    assert object_id == system_id
    assert actor == world.users["procurer_a"]
    assert json.loads(before)["name"] == "Benefit scoring A"
    assert json.loads(before)["sector"] == "welfare"
    assert json.loads(after)["name"] == "Benefit scoring A (v2)"
    assert json.loads(after)["sector"] == "housing"
    assert len(_events(app)) == before_count + 1


def test_creating_records_who_and_what(app, client, world, auth):
    events = _events(app)
    creates = [e for e in events if e[1] == "create"]
    kinds = {json.loads(e[5]).get("email") for e in creates if e[5] and "email" in json.loads(e[5])}
    assert world.users["procurer_a"] in kinds
    user_event = next(e for e in creates if e[5] and json.loads(e[5]).get("email") == world.users["vendor_a"])
    assert json.loads(user_event[5])["password_hash"] == "[redacted]"


def test_sign_in_is_recorded(app, world, auth):
    auth.login(world.users["oversight_a"])
    sign_ins = [e for e in _events(app) if e[1] == "sign_in"]
    assert sign_ins and sign_ins[-1][3] == world.users["oversight_a"]


def test_chain_links_each_event_to_the_previous(app, world):
    with app.app_context():
        rows = db.session.query(Event).order_by(Event.seq).all()
        assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
        assert rows[0].prev_hash == "0" * 64
        for previous, current in itertools.pairwise(rows):
            assert current.prev_hash == previous.hash


def test_verify_passes_on_an_intact_chain(app, world, monkeypatch):
    count = len(_events(app))
    result = CliRunner().invoke(main, ["events", "verify"])
    assert result.exit_code == 0, result.output
    assert f"Audit trail intact: {count} events." in result.output


def test_verify_names_an_event_edited_by_sql(app, world):
    with app.app_context():
        target = db.session.query(Event).filter_by(object_type="ai_system").order_by(Event.seq).first()
        seq, event_id = target.seq, target.id
        db.session.execute(
            text(
                "UPDATE event SET after = replace(after, 'Benefit scoring A', 'Something else') WHERE id "
                "= :id"
            ),
            {"id": event_id},
        )
        db.session.commit()
    result = CliRunner().invoke(main, ["events", "verify"])
    assert result.exit_code == 1
    assert f"broken at event #{seq} (id {event_id})" in result.output
    assert "altered" in result.output


def test_verify_notices_a_deleted_event(app, world):
    with app.app_context():
        db.session.execute(text("DELETE FROM event WHERE seq = 3"))
        db.session.commit()
    result = CliRunner().invoke(main, ["events", "verify"])
    assert result.exit_code == 1
    assert "broken at event #4" in result.output
    assert "missing" in result.output


def test_verify_notices_a_rehashed_event(app, world):
    """Recomputing one event's hash after editing it still breaks the link from the next one."""
    from hria.domain.trail import _hashed_fields, event_hash

    with app.app_context():
        row = db.session.query(Event).filter_by(seq=2).one()
        row.actor = "someone else"
        row.hash = event_hash(_hashed_fields(row))
        db.session.commit()
    result = CliRunner().invoke(main, ["events", "verify"])
    assert result.exit_code == 1
    assert "broken at event #3" in result.output
