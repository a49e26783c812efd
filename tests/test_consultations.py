"""Consultation records on an assessment: by category, names only with consent, evidence for the
participation questions; and the demo's welfare system published with grievances and a consultation."""

from __future__ import annotations

import json

from conftest import form_fields

from hria.domain import demo, grievances
from hria.domain.models import Consultation, Event, Finding, Grievance, System
from hria.extensions import db


def _post(client, assessment_id: int, **data):
    url = f"/assessments/{assessment_id}/consultations"
    fields = form_fields(client.get(url).get_data(as_text=True))
    fields.update({"category": "workers", "held_on": "2026-05-02", "method": "workshop", **data})
    return client.post(url, data=fields)


def test_a_consultation_is_recorded_by_category(app, client, auth, world):
    auth.login("procurer@a.example")
    response = _post(
        client,
        world.assessments["a"],
        participants="12",
        what_they_said="Caseworkers want to see why a case was flagged.",
        what_changed="The score now shows its three main reasons.",
    )
    assert response.status_code == 302
    with app.app_context():
        record = db.session.query(Consultation).one()
        assert (record.category, record.method, record.participants, str(record.held_on)) == (
            "workers",
            "workshop",
            12,
            "2026-05-02",
        )
        assert record.named_participants == "" and record.consent is False
        assert db.session.query(Event).filter_by(object_type="consultation", action="create").count() == 1
    page = client.get(f"/assessments/{world.assessments['a']}/consultations").get_data(as_text=True)
    assert "Workers and their representatives" in page and "SCO-08" in page  # a participation question


def test_names_are_kept_only_with_consent(app, client, auth, world):
    auth.login("procurer@a.example")
    refused = _post(client, world.assessments["a"], what_they_said="x", named_participants="Jane Roe")
    assert refused.status_code == 200
    assert "Names are personal data" in refused.get_data(as_text=True)
    agreed = _post(
        client, world.assessments["a"], what_they_said="x", named_participants="Jane Roe", consent="y"
    )
    assert agreed.status_code == 302
    with app.app_context():
        assert [(c.named_participants, c.consent) for c in db.session.query(Consultation)] == [
            ("Jane Roe", True)
        ]


def test_consultations_follow_the_assessment_s_readers(client, auth, world):
    for email in ("procurer@b.example", "vendor@va.example", "oversight@bb.example"):
        auth.login(email)
        assert client.get(f"/assessments/{world.assessments['a']}/consultations").status_code == 404, email
        auth.logout()
    auth.login("oversight@ba.example")
    page = client.get(f"/assessments/{world.assessments['a']}/consultations")
    assert page.status_code == 200 and "Record a consultation" not in page.get_data(as_text=True)


def test_the_demo_publishes_the_welfare_system_with_grievances_and_a_consultation(app, client):
    with app.app_context():
        demo.seed(app.instance_path)
        welfare = db.session.query(System).filter_by(name="Welfare fraud risk score").one()
        assert welfare.published_at is not None
        statuses = sorted(g.status for g in db.session.query(Grievance).filter_by(system_id=welfare.id))
        assert statuses == ["answered", "triaged"]
        triaged = db.session.query(Grievance).filter_by(status="triaged").one()
        assert db.session.get(Finding, triaged.finding_id).right == "equality"
        assert db.session.query(Consultation).count() == 1
        summary = grievances.summary([welfare.id])
        assert (summary["received"], summary["overdue"], summary["median_days_to_respond"]) == (2, 0, 9.0)
        welfare_id = welfare.id
    index = json.loads(client.get("/public/index.json").data)
    assert [s["name"] for s in index["systems"]] == ["Welfare fraud risk score"]
    assert index["systems"][0]["report"]["sha256"]
    page = client.get(f"/public/systems/{welfare_id}").get_data(as_text=True)
    assert "Verified:" in page and "Nationality non-EU" in page
