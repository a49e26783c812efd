"""What a report holds follows what its issuer may read: a vendor certifying its part of a buyer's assessment
puts none of the buyer's scores, risk register or remediation plan in its signed file."""

import subprocess

from test_reports import issue_in_browserless_web
from test_wizard import SCOPING, save_section

from hria.domain.models import Report
from hria.extensions import db


def _text_of_current(app, assessment_id, kind) -> str:
    with app.app_context():
        report = (
            db.session.query(Report)
            .filter_by(assessment_id=assessment_id, kind=kind, superseded_by_id=None)
            .one()
        )
        path = report.path
    return subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True).stdout


def test_an_invited_vendors_self_certification_holds_none_of_the_buyers_side(app, client, keyed, auth):
    aid = keyed.assessments["a"]
    auth.login(keyed.users["procurer_a"])
    for section, answers in SCOPING.items():
        save_section(client, aid, section, answers)
    assert "Issued and signed" in issue_in_browserless_web(client, aid).get_data(as_text=True)
    buyer_report = _text_of_current(app, aid, "risk")
    auth.logout()

    auth.login(keyed.users["vendor_a"])  # invited to City A's assessment; City A owns the system
    assert "Issued and signed" in issue_in_browserless_web(client, aid).get_data(as_text=True)
    vendor_report = _text_of_current(app, aid, "self-certification")

    # the buyer's own report has them: the vendor's does not
    for buyer_only in ("attainable impact points", "SCO-11", "remediation action(s)"):
        assert buyer_only in buyer_report
        assert buyer_only not in vendor_report
    assert "Vendor A certifies its own answers to City A's assessment" in " ".join(vendor_report.split())
    # what the vendor may not read is left out, not shown under an empty heading
    for heading in ("Risk register", "Remediation plan", "Obligations", "Impact level"):
        assert heading in buyer_report
        assert heading not in vendor_report, heading


def test_a_report_file_is_written_only_when_its_registration_commits(app, keyed):
    from hria.domain import reporting
    from hria.domain.models import Assessment

    with app.app_context():
        folder = reporting.folder()
        assessment = db.session.get(Assessment, keyed.assessments["a"])
        reporting.issue(assessment, "risk", None)
        db.session.rollback()
        assert list(folder.iterdir()) == []  # nothing registered, nothing on disk

        report = reporting.issue(db.session.get(Assessment, keyed.assessments["a"]), "risk", None)
        db.session.commit()
        [written] = folder.iterdir()
        assert written.name == f"{report.sha256}.pdf" and written.stat().st_mode & 0o777 == 0o600
        assert reporting.verify(written.read_bytes()).ok


def test_two_invited_vendors_each_keep_their_own_certification(app, client, keyed, auth):
    from hria.domain import reporting
    from hria.domain.models import Invitation

    aid = keyed.assessments["a"]
    with app.app_context():
        db.session.add(Invitation(assessment_id=aid, organisation_id=keyed.orgs["vendor_b"]))
        db.session.commit()
    ids = {}
    for vendor in ("vendor_a", "vendor_b"):
        auth.login(keyed.users[vendor])
        assert "Issued and signed" in issue_in_browserless_web(client, aid).get_data(as_text=True)
        with app.app_context():
            ids[vendor] = db.session.query(Report.id).order_by(Report.id.desc()).limit(1).scalar()
        auth.logout()

    with app.app_context():
        reports = db.session.query(Report).filter_by(assessment_id=aid).order_by(Report.id).all()
        assert [(reporting.issuer_name(r), r.version, r.superseded_by_id) for r in reports] == [
            ("Vendor A", 1, None),
            ("Vendor B", 1, None),
        ]
        assert reports[0].code != reports[1].code
        first = reporting.verify(reporting.pdf_of(reports[0]))
        assert first.ok, first.problems()

    auth.login(keyed.users["vendor_b"])
    assert client.get(f"/reports/{ids['vendor_a']}/download").status_code == 404
    assert client.get(f"/reports/{ids['vendor_b']}/download").status_code == 200
