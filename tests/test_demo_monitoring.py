"""The demo's welfare system in operation: a plan, three decision-only audits over a year, one change."""

import json
from datetime import date

from conftest import csrf_token

from hria.domain import demo, tracking
from hria.domain.fairness_audits import plan_status
from hria.domain.models import Assessment, FairnessAudit, Finding, Notification, System, User
from hria.extensions import db


def test_a_year_of_monitoring_with_one_change_and_a_plan_followed_and_deviated_from(app, client):
    with app.app_context():
        logins = demo.seed(app.instance_path)
        welfare = db.session.query(System).filter_by(name="Welfare fraud risk score").one()
        operation = db.session.query(Assessment).filter_by(system_id=welfare.id, stage="operation").one()
        audits = db.session.query(FairnessAudit).filter_by(assessment_id=operation.id).order_by("id").all()
        assert [a.status for a in audits] == ["done"] * 3
        assert [a.created_at.date().isoformat() for a in audits] == ["2026-01-15", "2026-06-15", "2026-11-10"]
        statuses = [plan_status(a, json.loads(a.result)) for a in audits]
        assert [s["followed"] for s in statuses] == [True, False, True]
        assert statuses[1]["deviations"] == ["Smallest group judged: planned 30; used 500."]
        changes = db.session.query(Finding).filter_by(source="fairness_change").all()
        assert [f.source_id for f in changes] == [audits[2].id]
        assert "selection rate of nationality non-EU against national" in changes[0].text
        board = db.session.query(User).filter_by(role="oversight").first()
        assert any(
            n.comment.target == f"finding:{changes[0].id}"
            for n in db.session.query(Notification).filter_by(user_id=board.id)
        )
        procurer = db.session.query(User).filter_by(email="procurer@riverton.example").one()
        _entries, due, reason = tracking.timeline(procurer, welfare)
        assert due == date.today() and "a change in a disparity" in reason
        welfare_id = welfare.id
    board_login = next(login for login in logins if login.role == "oversight")
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={"email": board_login.email, "password": board_login.password, "csrf_token": csrf_token(page)},
    )
    system_page = client.get(f"/systems/{welfare_id}").get_data(as_text=True)
    assert "3 audits from 2026-01-15 to 2026-11-10" in system_page
    assert (
        "Selection rate: nationality non-EU against nationality national — <strong>changed</strong>"
        in system_page
    )
