"""The whole process between a buyer, a vendor and an oversight body, through the test client."""

import json

from click.testing import CliRunner
from conftest import form_fields, post_form
from test_audit_web import outputs_csv, run_audit
from test_wizard import save_section

from hria.cli import main
from hria.domain import jobs, signing_keys
from hria.domain.models import Answer, Assessment, Organisation, Report
from hria.extensions import db


def post(client, page_url, action, **data):
    return post_form(client, page_url, action, data, follow_redirects=True)


def test_procurer_vendor_and_oversight_carry_an_assessment_to_a_countersigned_report(
    app, client, world, auth, finished
):
    with app.app_context():
        signing_keys.init_keys(db.session.query(Organisation).all())
    system_url = f"/systems/{world.systems['a']}"

    # the procurer starts a procurement-stage assessment and invites the vendor
    auth.login(world.users["procurer_a"])
    fields = form_fields(client.get(system_url).get_data(as_text=True))
    started = client.post(
        f"{system_url}/assessments", data={**fields, "stage": "procurement", "language": "en"}
    )
    aid = int(started.headers["Location"].rsplit("/", 1)[1])
    invited = post(
        client,
        f"/assessments/{aid}",
        f"/assessments/{aid}/invitations",
        organisation_id=world.orgs["vendor_a"],
    )
    assert "Vendor A is invited to this assessment." in invited.get_data(as_text=True)
    auth.logout()

    # the vendor answers its questions and uploads its model's outputs for audit
    auth.login(world.users["vendor_a"])
    save_section(client, aid, "tender", {"PRO-02": "yes", "PRO-03": "partly", "PRO-04": "no"})
    save_section(client, aid, "contract", {"PRO-10": "no"})
    _, _, audit_started = run_audit(
        client, aid, outputs_csv(), y_true="two_year_recid", y_pred="high_risk", sensitive_features=["race"]
    )
    assert audit_started.status_code == 302
    jobs.wait_all(timeout=60)
    auth.logout()

    # the procurer answers the rest and submits
    auth.login(world.users["procurer_a"])
    save_section(client, aid, "tender", {"PRO-01": "no", "PRO-05": "yes"})
    save_section(
        client, aid, "contract", {"PRO-06": "yes", "PRO-07": "partly", "PRO-08": "yes", "PRO-09": "yes"}
    )
    finished(aid)  # the questions the sections above do not name
    post(client, f"/assessments/{aid}", f"/assessments/{aid}/transitions/submit")
    auth.logout()

    # oversight reviews and asks for changes
    auth.login(world.users["oversight_a"])
    post(client, f"/assessments/{aid}", f"/assessments/{aid}/transitions/start_review")
    post(
        client,
        f"/assessments/{aid}",
        f"/assessments/{aid}/transitions/request_changes",
        comment="PRO-01: require the human-rights due-diligence statement in the tender.",
    )
    auth.logout()

    # the procurer fixes and resubmits
    auth.login(world.users["procurer_a"])
    save_section(client, aid, "tender", {"PRO-01": "yes", "PRO-05": "yes"})
    finished(aid)  # the question that "yes" to PRO-01 shows
    post(client, f"/assessments/{aid}", f"/assessments/{aid}/transitions/submit")
    issued = post(client, f"/assessments/{aid}", f"/assessments/{aid}/reports")
    assert "Issued and signed" in issued.get_data(as_text=True)
    auth.logout()

    # oversight approves and countersigns
    auth.login(world.users["oversight_a"])
    post(client, f"/assessments/{aid}", f"/assessments/{aid}/transitions/start_review")
    approved = post(
        client, f"/assessments/{aid}", f"/assessments/{aid}/transitions/approve", comment="Approved."
    )
    assert "The assessment is now approved." in approved.get_data(as_text=True)
    with app.app_context():
        report = db.session.query(Report).filter_by(assessment_id=aid, superseded_by_id=None).one()
        report_id = report.id
    post(client, f"/assessments/{aid}", f"/reports/{report_id}/countersign")

    with app.app_context():
        assessment = db.session.get(Assessment, aid)
        assert assessment.status == "approved"
        answers = {
            a.question_id: (json.loads(a.value), a.answered_by.email)
            for a in db.session.query(Answer).filter_by(assessment_id=aid)
        }
        assert answers["PRO-02"] == ("yes", world.users["vendor_a"])
        assert answers["PRO-01"] == ("yes", world.users["procurer_a"])
        final = db.session.query(Report).filter_by(assessment_id=aid, superseded_by_id=None).one()
        assert json.loads(final.signers) == ["City A", "Board A"]
        final_path = final.path
    verified = CliRunner().invoke(main, ["verify", final_path])
    assert verified.exit_code == 0, verified.output
    chain = CliRunner().invoke(main, ["events", "verify"])
    assert chain.exit_code == 0 and "intact" in chain.output
