"""Ids too large for the database, anywhere in an address or a form, answer 404 (or 400 when not a number at
all), never 500 — on SQLite and on PostgreSQL, whose INTEGER ids end at 2**31 - 1."""

import re

import pytest
from conftest import csrf_token
from parties import build

from hria import create_app, database
from hria.domain.models import (
    ApprovalCondition,
    AuditPlan,
    Grievance,
    OversightAssignment,
    Share,
    User,
)
from hria.extensions import db
from hria.web.ids import MAX_ID

TOO_LARGE = [MAX_ID + 1, 2**40, 2**63 - 1, 2**63, 2**64, 10**40]
OTHER_PARTS = {
    "section_key": "tender",
    "question_id": "PRO-01",
    "key": "submit",
    "fmt": "atrs",
    "action": "password",
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request, tmp_path, monkeypatch):
    """The conftest app, once on the embedded SQLite and once on a PostgreSQL server (skipped without one)."""
    for name in ("HRIA_DATABASE_URL", "HRIA_SECRET_KEY", "HRIA_MAX_UPLOAD_MB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HRIA_INSTANCE_PATH", str(tmp_path / "instance"))
    if request.param == "postgresql":
        monkeypatch.setenv("HRIA_DATABASE_URL", request.getfixturevalue("postgres_url"))
    app = create_app({"TESTING": True})
    database.upgrade(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def parties(app, world, tmp_path):
    return build(app, world, tmp_path / "reports")


def _existing_ids(app, world, parties) -> dict[str, int]:
    """A real, visible record for every kind of id a route takes, so that only the id under test decides."""
    with app.app_context():
        return {
            "system_id": world.systems["a"],
            "assessment_id": parties.assessment,
            "evidence_id": parties.evidence["outputs"],
            "audit_id": parties.audits["procurement"],
            "action_id": parties.actions["procurement"],
            "report_id": parties.reports["risk"],
            "user_id": db.session.query(User.id).filter_by(email=world.users["vendor_a"]).scalar(),
            "assignment_id": db.session.query(OversightAssignment.id).first()[0],
            **_added_ids(world, parties),
        }


def _added_ids(world, parties) -> dict[str, int]:
    """Records the shared world does not hold: a grievance, a condition of approval, an audit plan."""
    grievance = Grievance(reference="G-2026-ID0001", system_id=world.systems["a"], what_happened="x")
    condition = ApprovalCondition(assessment_id=parties.assessment, text="Re-audit in six months.")
    plan = AuditPlan(assessment_id=parties.assessment, title="Plan", content="{}", sha256="0" * 64)
    db.session.add_all([grievance, condition, plan])
    db.session.commit()
    return {"grievance_id": grievance.id, "condition_id": condition.id, "plan_id": plan.id}


def _id_routes(app):
    for rule in app.url_map.iter_rules():
        numbered = [name for name in rule.arguments if name not in OTHER_PARTS and name != "filename"]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for name in numbered:
                yield rule, method, name


def _url(rule, values: dict) -> str:
    url = rule.rule
    for name, value in {**OTHER_PARTS, **values}.items():
        url = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(value), url)  # <name>, <int:name>, <any(…):name>
    return url


def test_every_id_in_an_address_too_large_for_the_database_answers_404(app, client, world, auth, parties):
    existing = _existing_ids(app, world, parties)
    routes = list(_id_routes(app))
    assert {name for _, _, name in routes} == set(existing)  # a new kind of id needs a record above
    auth.login("admin@a.example")
    token = csrf_token(client.get("/").get_data(as_text=True))
    answers = {}
    for rule, method, name in routes:
        for value in TOO_LARGE:
            url = _url(rule, {**existing, name: value})
            response = client.open(
                url, method=method, data={"csrf_token": token} if method == "POST" else None
            )
            answers[(method, url)] = response.status_code
    assert len(answers) == len(routes) * len(TOO_LARGE) >= 150
    assert {key: status for key, status in answers.items() if status != 404} == {}


def test_the_largest_id_the_database_holds_reaches_it_and_finds_nothing(app, client, world, auth, parties):
    auth.login("admin@a.example")
    for url in (
        f"/evidence/{MAX_ID}/download",
        f"/assessments/{MAX_ID}/comments",
        f"/reports/{MAX_ID}/download",
        f"/systems/{MAX_ID}",
        f"/audits/{MAX_ID}",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.get(f"/assessments/{parties.assessment:05d}/comments").status_code == 200
    )  # leading zeros: same id


@pytest.mark.parametrize("value", ["abc", str(MAX_ID + 1), str(2**64), "9" * 5000, "-3", "１"])
def test_an_organisation_id_in_the_share_form_that_names_no_buyer_is_a_form_error(
    app, client, world, auth, parties, value
):
    auth.login(world.users["vendor_b"])
    token = csrf_token(client.get(f"/assessments/{parties.shared}").get_data(as_text=True))
    response = client.post(
        f"/assessments/{parties.shared}/shares",
        data={"csrf_token": token, "organisation_id": value},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Choose a buying organisation to share with." in response.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.query(Share).filter_by(assessment_id=parties.shared).count() == 1
        )  # City A's, from before


def test_digits_of_another_script_in_an_address_name_no_record(client, world, auth):
    auth.login(world.users["procurer_a"])
    system = world.systems["a"]
    assert client.get(f"/systems/{system}").status_code == 200
    fullwidth = "".join(chr(ord("０") + int(d)) for d in str(system))
    assert client.get(f"/systems/{fullwidth}").status_code == 404
    assert client.get(f"/systems/0{system}").status_code == 200  # a leading zero is still the same number
