"""Grievances from the public: the form on a published page, throttled, size-limited and escaped; the
buyer takes each into the risk register or answers it; the oversight body sees counts and overdue replies;
reports carry the counts and response times."""

from __future__ import annotations

import re
import subprocess
import threading
from datetime import timedelta

from conftest import csrf_token, form_fields
from test_report_layout import poppler

from hria.domain import grievances, reporting, risk_register
from hria.domain.models import Assessment, Finding, Grievance, RemediationAction, System, utcnow
from hria.domain.vocabulary import ReportKind
from hria.extensions import db
from reports import build_report

REFERENCE = re.compile(r"G-\d{4}-[A-Z2-9]{6}")


def _published(app, world, key="a") -> int:
    with app.app_context():
        system = db.session.get(System, world.systems[key])
        system.published_at = utcnow()
        db.session.commit()
        return system.id


def _send(client, system_id: int, what: str, when: str = "", contact: str = "", follow=True):
    page = client.get(f"/public/systems/{system_id}").get_data(as_text=True)
    fields = form_fields(page)
    fields.update({"what_happened": what, "happened_when": when, "contact": contact})
    return client.post(f"/public/systems/{system_id}/grievances", data=fields, follow_redirects=follow)


def test_an_anonymous_visitor_gets_a_reference_number(app, client, world):
    system_id = _published(app, world)
    response = _send(client, system_id, "My benefit was stopped.", "May 2026", "call 0123 456")
    assert response.status_code == 200
    reference = REFERENCE.search(response.get_data(as_text=True)).group(0)
    with app.app_context():
        stored = db.session.query(Grievance).one()
        assert (stored.reference, stored.what_happened, stored.happened_when, stored.contact) == (
            reference,
            "My benefit was stopped.",
            "May 2026",
            "call 0123 456",
        )
        assert stored.status == "received"


def test_the_form_needs_its_csrf_token_and_a_text(app, client, world):
    system_id = _published(app, world)
    client.get(f"/public/systems/{system_id}")
    no_token = client.post(f"/public/systems/{system_id}/grievances", data={"what_happened": "x"})
    assert no_token.status_code == 400
    empty = _send(client, system_id, "   ", follow=False)
    assert empty.status_code == 400
    assert "Describe what happened." in empty.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Grievance).count() == 0


def test_what_people_write_is_escaped_and_its_size_limited(app, client, auth, world):
    system_id = _published(app, world)
    _send(client, system_id, "<script>alert(1)</script> stopped")
    too_long = _send(client, system_id, "x" * (grievances.MAX_TEXT + 1), follow=False)
    assert too_long.status_code == 400
    huge = client.post(f"/public/systems/{system_id}/grievances", data={"what_happened": "x" * 100_000})
    assert huge.status_code == 413
    assert "longer than a message here may be (64 KB)" in huge.get_data(as_text=True)
    auth.login("procurer@a.example")
    page = client.get(f"/systems/{system_id}/grievances").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; stopped" in page
    assert "<script>alert(1)" not in page
    with app.app_context():
        assert db.session.query(Grievance).count() == 1


def test_an_address_is_throttled_after_the_configured_number(app, client, world):
    app.config["GRIEVANCE_MAX_PER_ADDRESS"] = 3
    system_id = _published(app, world)
    codes = [_send(client, system_id, f"complaint {i}", follow=False).status_code for i in range(5)]
    assert codes == [302, 302, 302, 429, 429]
    other = app.test_client()
    page = other.get(f"/public/systems/{system_id}").get_data(as_text=True)
    fields = {**form_fields(page), "what_happened": "from elsewhere"}
    response = other.post(
        f"/public/systems/{system_id}/grievances", data=fields, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.query(Grievance).count() == 4


def test_parallel_submissions_cannot_slip_past_the_throttle(app, world):
    app.config["GRIEVANCE_MAX_PER_ADDRESS"] = 2
    system_id = _published(app, world)
    clients = [app.test_client() for _ in range(6)]
    prepared = []
    for c in clients:
        page = c.get(f"/public/systems/{system_id}").get_data(as_text=True)
        prepared.append({**form_fields(page), "what_happened": "flood"})
    barrier, codes = threading.Barrier(len(clients)), []

    def send(c, data):
        barrier.wait()
        codes.append(c.post(f"/public/systems/{system_id}/grievances", data=data).status_code)

    threads = [threading.Thread(target=send, args=pair) for pair in zip(clients, prepared, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [302, 302, 429, 429, 429, 429]
    with app.app_context():
        assert db.session.query(Grievance).count() == 2


def test_the_buyer_triages_into_the_register_or_answers(app, client, auth, world):
    system_id = _published(app, world)
    _send(client, system_id, "Flagged because my forms were in Arabic.")
    _send(client, system_id, "How is the score made?")
    with app.app_context():
        first, second = db.session.query(Grievance).order_by(Grievance.id).all()
        first_id, second_id, first_ref = first.id, second.id, first.reference
    auth.login("procurer@a.example")
    page_url = f"/systems/{system_id}/grievances"
    page = client.get(page_url).get_data(as_text=True)
    client.post(
        f"/grievances/{first_id}/triage",
        data={
            "csrf_token": csrf_token(page),
            "assessment_id": world.assessments["a"],
            "right": "equality",
            "finding": "The language of the forms may act as a proxy for nationality.",
        },
    )
    client.post(
        f"/grievances/{second_id}/answer",
        data={"csrf_token": csrf_token(page), "reply": "The public page explains it."},
    )
    with app.app_context():
        first, second = db.session.get(Grievance, first_id), db.session.get(Grievance, second_id)
        assert (first.status, second.status) == ("triaged", "answered")
        assert second.reply == "The public page explains it."
        finding = db.session.get(Finding, first.finding_id)
        assert (finding.right, finding.source, finding.source_id) == ("equality", "grievance", first_id)
        assert (
            finding.text
            == f"Grievance {first_ref}: The language of the forms may act as a proxy for nationality."
        )
        assert "Arabic" not in finding.text  # the person's words stay with the grievance
        action = db.session.query(RemediationAction).filter_by(finding_id=finding.id).one()
        assert action.paragraph == "§56(g)"
        rows = risk_register.register(db.session.get(Assessment, world.assessments["a"]))
        assert any(r.right == "equality" and finding.text in r.sources for r in rows)


def test_other_tenants_and_vendors_cannot_read_or_handle_grievances(app, client, auth, world):
    system_id = _published(app, world)
    _send(client, system_id, "private complaint", contact="my phone")
    with app.app_context():
        grievance_id = db.session.query(Grievance.id).scalar()
    for email in ("procurer@b.example", "vendor@va.example", "oversight@bb.example"):
        auth.login(email)
        assert client.get(f"/systems/{system_id}/grievances").status_code == 404, email
        page = client.get("/").get_data(as_text=True)
        answer = client.post(
            f"/grievances/{grievance_id}/answer", data={"csrf_token": csrf_token(page), "reply": "x"}
        )
        assert answer.status_code == 404, email
        auth.logout()
    auth.login("oversight@ba.example")  # reads, but does not handle, and never sees the contact
    page = client.get(f"/systems/{system_id}/grievances").get_data(as_text=True)
    assert "private complaint" in page and "my phone" not in page
    answer = client.post(
        f"/grievances/{grievance_id}/answer", data={"csrf_token": csrf_token(page), "reply": "x"}
    )
    assert answer.status_code == 403


def test_oversight_sees_counts_and_overdue_replies(app, client, auth, world):
    system_id = _published(app, world)
    for text in ("old one", "recent one", "answered one"):
        _send(client, system_id, text)
    with app.app_context():
        old, _recent, answered = db.session.query(Grievance).order_by(Grievance.id).all()
        old.received_at = utcnow() - timedelta(days=31)
        answered.received_at = utcnow() - timedelta(days=40)
        answered.responded_at, answered.status = answered.received_at + timedelta(days=4), "answered"
        old_ref = old.reference
        db.session.commit()
        summary = grievances.summary([system_id])
        assert (summary["received"], summary["answered"], summary["awaiting"], summary["overdue"]) == (
            3,
            1,
            2,
            1,
        )
        assert summary["median_days_to_respond"] == 4.0
    auth.login("oversight@ba.example")
    dashboard = client.get("/").get_data(as_text=True)
    assert "3 received" in dashboard and "1 overdue" in dashboard
    assert old_ref in dashboard
    app.config["GRIEVANCE_RESPONSE_DAYS"] = 45
    assert old_ref not in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login("procurer@a.example")
    assert "Grievances from the public" not in client.get("/").get_data(as_text=True)


def test_reports_carry_grievance_counts_and_response_times(app, client, keyed):
    world = keyed
    system_id = _published(app, world)
    _send(client, system_id, "one")
    _send(client, system_id, "two")
    with app.app_context():
        first = db.session.query(Grievance).order_by(Grievance.id).first()
        first.status, first.reply = "answered", "done"
        first.responded_at = first.received_at + timedelta(days=2)
        db.session.commit()
        assessment = db.session.get(Assessment, world.assessments["a"])
        data = reporting.report_data(
            assessment, ReportKind.RISK, "en", reporting.issuer_of(assessment, ReportKind.RISK), "x"
        )
        assert data["grievances"] == {
            "received": 2,
            "triaged": 0,
            "answered": 1,
            "awaiting": 1,
            "overdue": 0,
            "response_days": 30,
            "median_days_to_respond": 2.0,
            "longest_days_to_respond": 2.0,
        }
    # and the PDF shows them, in a section of their own
    text = subprocess.run(
        [poppler("pdftotext"), "-layout", "-", "-"], input=build_report(data), capture_output=True, check=True
    ).stdout.decode()
    section = text[text.rindex("Grievances from the public") :]
    for label, value in (
        ("Received", "2"),
        ("Answered", "1"),
        ("Awaiting a response", "1"),
        ("Without a response after 30 days", "0"),
        ("Median days to respond", "2"),
    ):
        assert re.search(rf"{label}\s+{value}\n", section), label
