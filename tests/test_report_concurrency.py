"""Issuing and countersigning at the same moment, on a real server: one registry, one current version.

Six officers issue the report of one assessment together; six reviewers of its oversight body countersign the
current version together. Real HTTP clients on their own threads, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

import pytest
from conftest import CSRF_RE, PASSWORD_HASH, answer_everything
from test_concurrency import Client, _together, app_on, serving

from hria.domain import signing_keys
from hria.domain.accounts import create_organisation
from hria.domain.models import Assessment, OversightAssignment, Report, System, User
from hria.extensions import db

PEOPLE = 6


@pytest.fixture(params=["sqlite", "postgres"])
def served(request, tmp_path, monkeypatch):
    app = app_on(request, tmp_path, monkeypatch)
    with app.app_context():
        city, board = create_organisation("City A", "buyer"), create_organisation("Board A", "oversight")
        db.session.add(OversightAssignment(oversight=board, overseen=city))
        for n in range(PEOPLE):
            db.session.add_all(
                [
                    User(
                        email=f"officer{n}@a.example",
                        role="procurer",
                        organisation=city,
                        password_hash=PASSWORD_HASH,
                    ),
                    User(
                        email=f"reviewer{n}@board.example",
                        role="oversight",
                        organisation=board,
                        password_hash=PASSWORD_HASH,
                    ),
                ]
            )
        system = System(
            name="Benefit scoring",
            purpose="Scores applications",
            owner=city,
            sector="welfare",
            automated_decisions=True,
        )
        assessment = Assessment(system=system, stage="scoping", status="draft", language="en")
        db.session.add_all([system, assessment])
        db.session.commit()
        signing_keys.init_keys([city, board])
        assessment_id = assessment.id
        answer_everything(assessment_id)
    with serving(app) as base:
        yield app, base, assessment_id
    with app.app_context():
        db.engine.dispose()


def _signed_in(base: str, email_pattern: str) -> list[tuple[Client, str]]:
    clients = []
    for n in range(PEOPLE):
        client = Client(base)
        assert client.login(email_pattern.format(n)) == 302
        clients.append((client, CSRF_RE.search(client.request("/")[1]).group(1)))
    return clients


def _registry(app, assessment_id):
    with app.app_context():
        return [
            (r.code, r.version, json.loads(r.signers), r.superseded_by_id)
            for r in db.session.query(Report).filter_by(assessment_id=assessment_id).order_by(Report.id)
        ]


def test_issues_at_the_same_moment_make_successive_versions_of_one_report(served):
    app, base, assessment_id = served
    officers = _signed_in(base, "officer{}@a.example")
    statuses = _together(
        PEOPLE,
        lambda i: officers[i][0].request(
            f"/assessments/{assessment_id}/reports", {"csrf_token": officers[i][1]}
        )[0],
    )
    assert statuses == [302] * PEOPLE
    reports = _registry(app, assessment_id)
    assert len({code for code, *_ in reports}) == 1
    assert sorted(version for _, version, _, _ in reports) == list(range(1, PEOPLE + 1))
    assert [version for _, version, _, superseded in reports if superseded is None] == [PEOPLE]


def test_countersignatures_at_the_same_moment_make_one_countersigned_version(served):
    app, base, assessment_id = served
    officer = _signed_in(base, "officer{}@a.example")[0]
    assert officer[0].request(f"/assessments/{assessment_id}/reports", {"csrf_token": officer[1]})[0] == 302
    assert len(_registry(app, assessment_id)) == 1
    with app.app_context():
        report_id = db.session.query(Report.id).filter_by(assessment_id=assessment_id).scalar()
    reviewers = _signed_in(base, "reviewer{}@board.example")
    statuses = _together(
        PEOPLE,
        lambda i: reviewers[i][0].request(
            f"/reports/{report_id}/countersign", {"csrf_token": reviewers[i][1]}
        )[0],
    )
    assert all(status in (302, 403) for status in statuses) and statuses.count(302) >= 1
    reports = _registry(app, assessment_id)
    assert [signers for *_, signers, _ in reports] == [["City A"], ["City A", "Board A"]]
    assert [superseded is None for *_, superseded in reports] == [False, True]


def test_issuing_and_countersigning_at_the_same_moment_wait_for_each_other(served):
    app, base, assessment_id = served
    officers = _signed_in(base, "officer{}@a.example")
    assert (
        officers[0][0].request(f"/assessments/{assessment_id}/reports", {"csrf_token": officers[0][1]})[0]
        == 302
    )
    with app.app_context():
        report_id = db.session.query(Report.id).filter_by(assessment_id=assessment_id).scalar()
    reviewers = _signed_in(base, "reviewer{}@board.example")
    half = PEOPLE // 2

    def work(i):
        if i < half:
            return officers[i][0].request(
                f"/assessments/{assessment_id}/reports", {"csrf_token": officers[i][1]}
            )[0]
        client, token = reviewers[i]
        return client.request(f"/reports/{report_id}/countersign", {"csrf_token": token})[0]

    statuses = _together(PEOPLE, work)
    assert not [s for s in statuses if s >= 500], statuses  # no deadlock answered as "busy"
    reports = _registry(app, assessment_id)
    assert len({code for code, *_ in reports}) == 1
    assert sum(1 for *_, superseded in reports if superseded is None) == 1
