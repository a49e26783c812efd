"""A prohibited practice screened at scoping stops the system there: no later stage starts or is submitted
until an administrator records the legal basis, which goes to the trail."""

import json

from conftest import answer_everything, csrf_token, form_fields
from sqlalchemy import select

from hria.domain import screening
from hria.domain.models import Answer, Assessment, Event, System
from hria.extensions import db


def _screen(app, world, chosen: list[str]) -> int:
    """System a's scoping assessment, every question answered and the screening answered ``chosen``."""
    with app.app_context():
        scoping = Assessment(system_id=world.systems["a"], stage="scoping", status="draft", language="en")
        db.session.add(scoping)
        db.session.commit()
        answer_everything(scoping.id)
        row = db.session.scalars(
            select(Answer).where(Answer.assessment_id == scoping.id, Answer.question_id == "SCO-26")
        ).one()
        row.value = json.dumps(chosen)
        db.session.commit()
        return scoping.id


def _start(client, system_id: int, stage: str):
    page = client.get(f"/systems/{system_id}").get_data(as_text=True)
    token = page[page.index(f'action="/systems/{system_id}/assessments"') :]
    fields = form_fields(token)
    return client.post(f"/systems/{system_id}/assessments", data={**fields, "stage": stage, "language": "en"})


def test_a_prohibited_practice_stops_the_later_stages(app, client, world, auth):
    _screen(app, world, ["remote_biometric_identification", "emotion_recognition"])
    with app.app_context():
        system = db.session.get(System, world.systems["a"])
        assert screening.prohibited_uses(system) == [
            "Identifies people remotely and in real time by their face or body in publicly accessible space",
            "Infers the emotions of people at work or in education",
        ]
    auth.login(world.users["procurer_a"])
    page = client.get(f"/systems/{world.systems['a']}").get_data(as_text=True)
    assert "Stop: do not proceed" in page and "Record the legal basis" not in page  # not an admin
    refused = _start(client, world.systems["a"], "procurement")
    assert refused.status_code == 409
    assert "Stop: do not proceed" in refused.get_data(as_text=True)
    with app.app_context():
        stages = db.session.scalars(
            select(Assessment.stage).where(Assessment.system_id == world.systems["a"])
        )
        assert "procurement" not in list(stages)


def test_none_of_these_stops_nothing(app, client, world, auth):
    _screen(app, world, ["none"])
    with app.app_context():
        system = db.session.get(System, world.systems["a"])
        assert screening.prohibited_uses(system) == [] and screening.stop_reason(system) is None
    auth.login(world.users["procurer_a"])
    assert _start(client, world.systems["a"], "procurement").status_code == 302


def test_an_administrator_records_the_legal_basis_and_the_stop_lifts(app, client, world, auth):
    _screen(app, world, ["remote_biometric_identification"])
    auth.login(world.users["admin"])
    url = f"/systems/{world.systems['a']}"
    page = client.get(url).get_data(as_text=True)
    assert "Record the legal basis" in page
    form = page[page.index("/legal-basis") :]
    fields = form_fields(form)
    short = client.post(f"{url}/legal-basis", data={**fields, "basis": "Allowed."}, follow_redirects=True)
    assert "at least 40 characters" in short.get_data(as_text=True)
    basis = "Art. 5(1)(h)(iii) exception: judicial authorisation 2026/114 by the district court of Riverton."
    page = client.get(url).get_data(as_text=True)
    fields = form_fields(page[page.index("/legal-basis") :])
    done = client.post(f"{url}/legal-basis", data={**fields, "basis": basis}, follow_redirects=True)
    body = done.get_data(as_text=True)
    assert "The legal basis is recorded" in body and "Stop: do not proceed" not in body
    assert "legal basis recorded" in body
    with app.app_context():
        system = db.session.get(System, world.systems["a"])
        assert system.legal_basis == basis and screening.stop_reason(system) is None
        event = db.session.scalars(
            select(Event).where(Event.action == "record_legal_basis", Event.object_id == system.id)
        ).one()
        assert event.comment == basis


def test_only_an_administrator_may_record_it(app, client, world, auth):
    _screen(app, world, ["social_scoring"])
    auth.login(world.users["procurer_a"])
    page = client.get("/").get_data(as_text=True)
    response = client.post(
        f"/systems/{world.systems['a']}/legal-basis",
        data={"csrf_token": csrf_token(page), "basis": "x" * 60},
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(System, world.systems["a"]).legal_basis is None
