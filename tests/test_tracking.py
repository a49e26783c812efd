"""Remediation across the lifecycle: overdue actions for the right people, the in-operation guard, the
timeline."""

from datetime import date, timedelta

from conftest import answer_everything, csrf_token, form_fields

from hria.domain.models import RemediationAction, RiskRating, System
from hria.extensions import db


def overdue_action(app, world, city="a"):
    with app.app_context():
        db.session.add(
            RemediationAction(
                assessment_id=world.assessments[city],
                right="equality",
                paragraph="§43(a)",
                text=f"Consult the advice centres of city {city}",
                owner="Head of Benefits",
                due_date=date.today() - timedelta(days=3),
                status="open",
            )
        )
        db.session.add(
            RemediationAction(
                assessment_id=world.assessments[city],
                right="privacy",
                paragraph="§50(a)",
                text=f"Future action of city {city}",
                due_date=date.today() + timedelta(days=30),
            )
        )
        db.session.add(
            RemediationAction(
                assessment_id=world.assessments[city],
                right="privacy",
                paragraph="§50(a)",
                text=f"Finished action of city {city}",
                status="done",
                due_date=date.today() - timedelta(days=30),
            )
        )
        db.session.commit()


def test_overdue_actions_stand_out_for_the_owner_and_the_oversight_body_only(app, client, world, auth):
    overdue_action(app, world)
    for user, sees in (
        ("procurer_a", True),
        ("oversight_a", True),
        ("admin", True),
        ("procurer_b", False),
        ("oversight_b", False),
        ("vendor_a", False),
    ):
        auth.login(world.users[user])
        page = client.get("/").get_data(as_text=True)
        assert ("Consult the advice centres of city a" in page) is sees, user
        assert "Future action of city a" not in page and "Finished action of city a" not in page
        auth.logout()


def test_system_remediation_page_marks_overdue(app, client, world, auth):
    overdue_action(app, world)
    auth.login(world.users["procurer_a"])
    page = client.get(f"/systems/{world.systems['a']}/remediation").get_data(as_text=True)
    assert page.count("overdue</strong>") == 1
    auth.logout()
    auth.login(world.users["vendor_a"])
    assert client.get(f"/systems/{world.systems['a']}/remediation").status_code == 404


def test_very_high_risk_without_treatment_blocks_operation(app, client, world, auth):
    with app.app_context():
        db.session.add(
            RiskRating(
                assessment_id=world.assessments["a"],
                right="equality",
                scale=4,
                scope=4,
                reversibility=4,
                likelihood=3,
                treatment="",
            )
        )
        db.session.commit()
    auth.login(world.users["procurer_a"])
    url = f"/systems/{world.systems['a']}"
    token = form_fields(client.get(url).get_data(as_text=True))["csrf_token"]
    refused = client.post(f"{url}/operation", data={"csrf_token": token})
    assert refused.status_code == 409
    with app.app_context():
        assert db.session.get(System, world.systems["a"]).in_operation is False
        rating = db.session.query(RiskRating).filter_by(assessment_id=world.assessments["a"]).one()
        rating.treatment = "Accepted by the council on 1 May with human review of every flag."
        db.session.commit()
    ok = client.post(f"{url}/operation", data={"csrf_token": token}, follow_redirects=True)
    assert "The system is now marked as in operation." in ok.get_data(as_text=True)


def test_timeline_and_next_review(app, client, world, auth, make_assessment):
    from hria.domain import tracking, workflow
    from hria.domain.models import Assessment, Evidence, FairnessAudit, Finding, User

    operation_id = make_assessment("a", stage="operation", status="in_progress")
    with app.app_context():
        procurer = db.session.query(User).filter_by(email=world.users["procurer_a"]).one()
        board = db.session.query(User).filter_by(email=world.users["oversight_a"]).one()
        system = db.session.get(System, world.systems["a"])
        answer_everything(operation_id)
        operation = db.session.get(Assessment, operation_id)
        for user, step in ((procurer, "submit"), (board, "start_review"), (board, "approve")):
            workflow.apply(user, operation, step)
        db.session.commit()
        entries, due, reason = tracking.timeline(procurer, system)
        assert [e.assessment.stage for e in entries] == ["scoping", "operation"]
        assert entries[1].decided_at is not None
        assert due - entries[1].decided_at.date() == timedelta(days=365)
        assert reason == "12 months after the last approved operation-stage assessment."
        evidence = Evidence(
            assessment=operation, purpose="model_outputs", filename="q4.csv", sha256="e" * 64, size=1
        )
        monitoring = FairnessAudit(assessment=operation, evidence=evidence, settings="{}", status="done")
        db.session.add_all([evidence, monitoring])
        db.session.flush()
        db.session.add(
            Finding(
                assessment_id=operation.id,
                right="equality",
                source="fairness_audit",
                source_id=monitoring.id,
                text="new disparity",
            )
        )
        db.session.commit()
        entries, due, reason = tracking.timeline(procurer, system)
        assert due == date.today() and "new disparity" in reason
    auth.login(world.users["procurer_a"])
    page = client.get(f"/systems/{world.systems['a']}").get_data(as_text=True)
    assert "A monitoring audit found a new disparity: review now." in page


def test_evidence_of_completion_on_an_action(app, client, world, auth):
    import io

    overdue_action(app, world)
    with app.app_context():
        action_id = db.session.query(RemediationAction).filter_by(status="open").first().id
    auth.login(world.users["procurer_a"])
    aid = world.assessments["a"]
    page = client.get(f"/assessments/{aid}/remediation").get_data(as_text=True)
    response = client.post(
        f"/assessments/{aid}/remediation/{action_id}/evidence",
        data={
            "csrf_token": form_fields(page)["csrf_token"],
            "file": (io.BytesIO(b"minutes of the consultation"), "minutes.pdf"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    body = response.get_data(as_text=True)
    assert "Attached minutes.pdf as evidence of completion." in body and "minutes.pdf</a>" in body
    auth.logout()
    auth.login(world.users["oversight_a"])
    # the board sees the plan but may not change it
    page = client.get(f"/assessments/{aid}/remediation").get_data(as_text=True)
    refused = client.post(
        f"/assessments/{aid}/remediation/{action_id}/evidence",
        data={"csrf_token": csrf_token(page), "file": (io.BytesIO(b"minutes of the board"), "board.pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 403
