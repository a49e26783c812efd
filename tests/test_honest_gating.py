"""Incomplete work cannot be submitted or issued as the assessment's report: check-your-answers lists what is
open, and a report of incomplete work is a marked draft that cannot be countersigned."""

import json
import shutil
import subprocess

import pytest
from conftest import answer_everything, form_fields
from test_reports import issue_in_browserless_web
from test_workflow import post_transition

from hria.domain import reporting
from hria.domain.models import Answer, Assessment, Organisation, Report
from hria.extensions import db


def test_submitting_incomplete_work_is_refused_with_what_is_missing(app, client, world, auth):
    aid = world.assessments["a"]
    auth.login(world.users["procurer_a"])
    refused = post_transition(client, aid, "submit")
    assert refused.status_code == 403
    assert "0 of 23 questions answered" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Assessment, aid).status == "draft"


def test_check_your_answers_links_every_open_question(app, client, world, auth):
    aid = world.assessments["a"]
    with app.app_context():
        answer_everything(aid)
        db.session.query(Answer).filter(Answer.question_id.in_(["SCO-01", "SCO-02"])).delete()
        db.session.commit()
    auth.login(world.users["procurer_a"])
    view = client.get(f"/assessments/{aid}").get_data(as_text=True)
    assert "Check your answers and submit" in view and "/transitions/submit" not in view
    page = client.get(f"/assessments/{aid}/check").get_data(as_text=True)
    assert "24 of 26" in page and "2 questions still to answer" in page
    assert f'/assessments/{aid}/sections/purpose#q-SCO-01"' in page
    assert f'/assessments/{aid}/sections/purpose#q-SCO-02"' in page
    assert "Submit for review</button>" not in page
    with app.app_context():
        answer_everything(aid)
    page = client.get(f"/assessments/{aid}/check").get_data(as_text=True)
    assert "26 of 26" in page and "Submit for review</button>" in page
    done = client.post(
        f"/assessments/{aid}/transitions/submit",
        data={"csrf_token": form_fields(page)["csrf_token"]},
        follow_redirects=True,
    )
    assert "The assessment is now submitted." in done.get_data(as_text=True)


def test_a_final_report_of_incomplete_work_is_refused_and_a_draft_is_marked(app, client, world, auth):
    with app.app_context():
        from hria.domain import signing_keys

        signing_keys.init_keys(db.session.query(Organisation).all())
    aid = world.assessments["a"]
    auth.login(world.users["procurer_a"])
    view = client.get(f"/assessments/{aid}").get_data(as_text=True)
    assert "Issue a draft risk and remediation report (incomplete)" in view
    refused = issue_in_browserless_web(client, aid).get_data(as_text=True)
    assert "The assessment is incomplete (0 of 23 questions answered)" in refused
    with app.app_context():
        assert db.session.query(Report).count() == 0
    issued = issue_in_browserless_web(client, aid, draft=True).get_data(as_text=True)
    assert "as a draft of incomplete work" in issued and "Draft — incomplete</strong>" in issued
    with app.app_context():
        report = db.session.query(Report).one()
        assert report.draft is True
        with pytest.raises(reporting.ReportError, match="A draft of incomplete work cannot be countersigned"):
            reporting.countersign(
                report, db.session.query(Organisation).filter_by(name="Board A").one(), None
            )
        path = report.path
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True).stdout
        assert text.count("Draft — incomplete: 0 of 23 questions answered") >= 3  # cover and each footer


def test_conditions_of_approval_are_tracked_until_fulfilled(app, client, world, auth):
    aid = world.assessments["a"]
    with app.app_context():
        answer_everything(aid)
        db.session.get(Assessment, aid).status = "under_review"
        db.session.commit()
    auth.login(world.users["oversight_a"])
    page = client.get(f"/assessments/{aid}").get_data(as_text=True)
    approved = client.post(
        f"/assessments/{aid}/transitions/approve_with_conditions",
        data={
            "csrf_token": form_fields(page)["csrf_token"],
            "conditions": "Audit the pilot outputs before go-live\n- Publish the appeal route",
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Audit the pilot outputs before go-live" in approved and "Publish the appeal route" in approved
    assert "Conditions of approval not yet fulfilled (2)" in client.get("/").get_data(as_text=True)
    auth.logout()

    auth.login(world.users["procurer_a"])
    assert "Conditions of approval not yet fulfilled (2)" in client.get("/").get_data(as_text=True)
    assert "Publish the appeal route" in client.get(f"/systems/{world.systems['a']}").get_data(as_text=True)
    with app.app_context():
        from hria.domain.models import ApprovalCondition

        first = db.session.query(ApprovalCondition).order_by(ApprovalCondition.id).first().id
    url = f"/assessments/{aid}/conditions"
    page = client.get(url).get_data(as_text=True)
    assert f'id="condition-{first}-owner"' in page and page.count('id="condition-') >= 8  # ids of their own
    token = f"condition-{first}-csrf_token"
    base = {token: form_fields(page)[token], f"condition-{first}-owner": "Data team"}
    failed = client.post(f"{url}/{first}", data={**base, f"condition-{first}-status": "fulfilled"})
    assert failed.status_code == 400
    body = failed.get_data(as_text=True)
    assert "There is a problem" in body and f'href="#condition-{first}-fulfilment"' in body
    done = client.post(
        f"{url}/{first}",
        data={
            **base,
            f"condition-{first}-status": "fulfilled",
            f"condition-{first}-due_date": "2030-01-31",
            f"condition-{first}-fulfilment": "Audit 12 of 3 March: no disparity found.",
        },
        follow_redirects=True,
    )
    assert "Condition saved." in done.get_data(as_text=True)
    assert "Conditions of approval not yet fulfilled (1)" in client.get("/").get_data(as_text=True)
    with app.app_context():
        data = reporting.report_data(
            db.session.get(Assessment, aid),
            "risk",
            "en",
            db.session.query(Organisation).filter_by(name="City A").one(),
            "test",
        )
    assert [(c["condition"], c["status"], c["owner"]) for c in data["conditions"]] == [
        ("Audit the pilot outputs before go-live", "Fulfilled", "Data team"),
        ("Publish the appeal route", "Open", ""),
    ]
    assert json.dumps(data["conditions"][0]["fulfilment"]) == json.dumps(
        "Audit 12 of 3 March: no disparity found."
    )


def test_a_conditional_approval_needs_a_condition(app, client, world, auth):
    aid = world.assessments["a"]
    with app.app_context():
        db.session.get(Assessment, aid).status = "under_review"
        db.session.commit()
    auth.login(world.users["oversight_a"])
    refused = post_transition(client, aid, "approve_with_conditions")
    assert refused.status_code == 403
    assert "Write the conditions of the approval, one per line." in refused.get_data(as_text=True)
