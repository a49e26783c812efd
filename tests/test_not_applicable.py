""" "Not applicable" takes a question out of the score, so it needs a reason; the oversight body reads the
reasons and may reject one, which opens the question again."""

import json

from conftest import csrf_token, form_fields
from sqlalchemy import select

from hria.domain import answers as answer_rules
from hria.domain.models import Answer, Assessment, Comment, Event
from hria.extensions import db


def _section(client, aid, section="purpose"):
    return client.get(f"/assessments/{aid}/sections/{section}").get_data(as_text=True)


def _save(client, aid, data, section="purpose"):
    fields = form_fields(_section(client, aid, section))
    return client.post(f"/assessments/{aid}/sections/{section}", data={**fields, **data, "save": "1"})


def test_not_applicable_without_a_reason_is_refused_and_nothing_saved(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    aid = world.assessments["a"]
    response = _save(client, aid, {"SCO-02": "not_applicable", "SCO-04": "yes"})
    assert response.status_code == 400
    assert "Say why it does not apply" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Answer).filter_by(assessment_id=aid).count() == 0


def test_the_reason_is_kept_and_shown_to_those_who_read_the_scores(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    aid = world.assessments["a"]
    reason = "No alternative exists: the law requires this check for every claim."
    assert _save(client, aid, {"SCO-02": "not_applicable", "SCO-02__why": reason}).status_code == 302
    with app.app_context():
        assert answer_rules.not_applicable(db.session.get(Assessment, aid)) == [("SCO-02", reason)]
    page = client.get(f"/assessments/{aid}").get_data(as_text=True)
    assert "Marked not applicable" in page and f"<strong>SCO-02</strong>: {reason}" in page
    # the form shows it again, and choosing an answer other than N/A drops it
    assert reason in _section(client, aid)
    assert _save(client, aid, {"SCO-02": "yes", "SCO-02__why": reason}).status_code == 302
    with app.app_context():
        row = db.session.scalars(select(Answer).filter_by(assessment_id=aid, question_id="SCO-02")).one()
        assert json.loads(row.value) == "yes" and row.na_reason is None


def _under_review_with_na(app, client, world, auth) -> int:
    auth.login(world.users["procurer_a"])
    aid = world.assessments["a"]
    _save(client, aid, {"SCO-02": "not_applicable", "SCO-02__why": "Nothing else was possible here."})
    auth.logout()
    with app.app_context():
        db.session.get(Assessment, aid).status = "under_review"
        db.session.commit()
    return aid


def test_the_oversight_body_rejects_a_not_applicable_and_the_question_opens(app, client, world, auth):
    aid = _under_review_with_na(app, client, world, auth)
    auth.login(world.users["oversight_a"])
    page = client.get(f"/assessments/{aid}").get_data(as_text=True)
    assert "Reject “not applicable” for SCO-02" in page
    url = f"/assessments/{aid}/not-applicable/SCO-02/reject"
    fields = form_fields(page[page.index(url) :])
    short = client.post(url, data={**fields, "comment": "No."}, follow_redirects=True)
    assert short.status_code == 409 and "at least 10 characters" in short.get_data(as_text=True)
    fields = form_fields(client.get(f"/assessments/{aid}").get_data(as_text=True).split(url, 1)[1])
    why = "Staffing and simpler forms were never compared; they must be."
    done = client.post(url, data={**fields, "comment": why}, follow_redirects=True)
    assert "rejected: the question is open again" in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Answer).filter_by(assessment_id=aid, question_id="SCO-02").first() is None
        event = db.session.scalars(select(Event).where(Event.action == "reject_not_applicable")).one()
        assert event.comment == why
        assert json.loads(event.before)["SCO-02"]["na_reason"] == "Nothing else was possible here."
        thread = db.session.scalars(
            select(Comment).filter_by(assessment_id=aid, target="question:SCO-02")
        ).one()
        assert thread.body == f"“Not applicable” rejected: {why}"


def test_the_buyer_cannot_reject_its_own_not_applicable(app, client, world, auth):
    aid = _under_review_with_na(app, client, world, auth)
    auth.login(world.users["procurer_a"])
    token = csrf_token(client.get(f"/assessments/{aid}").get_data(as_text=True))
    response = client.post(
        f"/assessments/{aid}/not-applicable/SCO-02/reject", data={"csrf_token": token, "comment": "x" * 20}
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.query(Answer).filter_by(assessment_id=aid, question_id="SCO-02").count() == 1
