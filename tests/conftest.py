"""Fixtures: an app on a fresh instance folder, a test client with a sign-in helper, and a small world
of organisations, users, systems and assessments to test against."""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, field

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from hria import create_app, database
from hria.domain import signing_keys
from hria.domain.accounts import create_organisation
from hria.domain.models import (
    Assessment,
    Evidence,
    FairnessAudit,
    Invitation,
    Organisation,
    OversightAssignment,
    System,
    User,
)
from hria.extensions import db

PASSWORD = "correct horse battery"
# Hashed once: scrypt is slow on purpose, and the world fixture needs seven users per test.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="scrypt")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


@pytest.fixture
def app(tmp_path, monkeypatch):
    for name in ("HRIA_DATABASE_URL", "HRIA_SECRET_KEY", "HRIA_MAX_UPLOAD_MB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HRIA_INSTANCE_PATH", str(tmp_path / "instance"))
    # Jobs run inside the request that sends them; tests/test_queue.py runs real queues.
    app = create_app({"TESTING": True, "QUEUE_IMMEDIATE": True})
    database.upgrade(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def form_fields(html: str) -> dict[str, str]:
    """The hidden fields of the first form on a page (CSRF and submit-once tokens)."""
    return dict(re.findall(r'<input id="[^"]*" name="([^"]+)" type="hidden" value="([^"]*)"', html))


class Auth:
    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = PASSWORD, next: str | None = None):
        page = self._client.get("/login").get_data(as_text=True)
        data = {"email": email, "password": password, "csrf_token": csrf_token(page)}
        if next is not None:
            data["next"] = next
        return self._client.post("/login", data=data)

    def logout(self):
        page = self._client.get("/").get_data(as_text=True)
        return self._client.post("/logout", data={"csrf_token": csrf_token(page)})


@pytest.fixture
def auth(client):
    return Auth(client)


def post_form(client, page_url: str, action: str, data: dict, follow_redirects: bool = False):
    """Load the page that holds a form, then post to it with the page's hidden tokens."""
    page = client.get(page_url).get_data(as_text=True)
    fields = form_fields(page)
    fields.update(data)
    return client.post(action, data=fields, follow_redirects=follow_redirects)


@dataclass
class World:
    """Two cities, two vendors and an oversight body; each city has a system with an assessment."""

    users: dict[str, str] = field(default_factory=dict)  # key -> email
    orgs: dict[str, int] = field(default_factory=dict)
    systems: dict[str, int] = field(default_factory=dict)
    assessments: dict[str, int] = field(default_factory=dict)
    evidence: dict[str, int] = field(default_factory=dict)
    audits: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def world(app) -> World:
    w = World()
    with app.app_context():
        orgs = {
            "city_a": create_organisation("City A", "buyer"),
            "city_b": create_organisation("City B", "buyer"),
            "vendor_a": create_organisation("Vendor A", "vendor"),
            "vendor_b": create_organisation("Vendor B", "vendor"),
            "board_a": create_organisation("Board A", "oversight"),
            "board_b": create_organisation("Board B", "oversight"),
        }
        people = {
            "admin": ("admin@a.example", "admin", "city_a"),
            "procurer_a": ("procurer@a.example", "procurer", "city_a"),
            "procurer_b": ("procurer@b.example", "procurer", "city_b"),
            "vendor_a": ("vendor@va.example", "vendor", "vendor_a"),
            "vendor_b": ("vendor@vb.example", "vendor", "vendor_b"),
            "oversight_a": ("oversight@ba.example", "oversight", "board_a"),
            "oversight_b": ("oversight@bb.example", "oversight", "board_b"),
        }
        for key, (email, role, org) in people.items():
            db.session.add(User(email=email, role=role, organisation=orgs[org], password_hash=PASSWORD_HASH))
            w.users[key] = email
        db.session.add(OversightAssignment(oversight=orgs["board_a"], overseen=orgs["city_a"]))
        db.session.add(OversightAssignment(oversight=orgs["board_b"], overseen=orgs["city_b"]))
        for city, vendor in (("a", "vendor_a"), ("b", "vendor_b")):
            system = System(
                name=f"Benefit scoring {city.upper()}",
                purpose="Scores applications",
                owner=orgs[f"city_{city}"],
                vendor=orgs[vendor],
                sector="welfare",
                automated_decisions=True,
            )
            assessment = Assessment(system=system, stage="scoping", status="draft", language="en")
            db.session.add_all([system, assessment])
            db.session.add(Invitation(assessment=assessment, organisation=orgs[vendor]))
            evidence = Evidence(
                assessment=assessment,
                purpose="model_outputs",
                filename=f"outputs-{city}.csv",
                sha256=f"{city}" * 64,
                size=10,
            )
            audit = FairnessAudit(
                assessment=assessment,
                evidence=evidence,
                settings="{}",
                status="failed",
                error="Benefit scoring test audit",
            )
            db.session.add_all([evidence, audit])
            db.session.flush()
            w.systems[city] = system.id
            w.assessments[city] = assessment.id
            w.evidence[city] = evidence.id
            w.audits[city] = audit.id
        db.session.commit()
        w.orgs = {key: org.id for key, org in orgs.items()}
    return w


@pytest.fixture
def make_assessment(app, world):
    """Another assessment of one of the world's systems ("a" or "b"); gives its id."""

    def make(system_key: str, stage: str = "scoping", language: str = "en", status: str = "draft") -> int:
        with app.app_context():
            assessment = Assessment(
                system_id=world.systems[system_key], stage=stage, status=status, language=language
            )
            db.session.add(assessment)
            db.session.commit()
            return assessment.id

    return make


@pytest.fixture
def keyed(app, world):
    """The world with signing keys, its two assessments fully answered: their reports are not drafts."""
    with app.app_context():
        signing_keys.init_keys(db.session.query(Organisation).all())
        for assessment_id in world.assessments.values():
            answer_everything(assessment_id)
    return world


# A real PostgreSQL server: HRIA_TEST_POSTGRES_URL, or the local socket. Tests that use it are skipped when
# none is reachable, and fail when HRIA_TEST_POSTGRES_URL names one that is not.
ADMIN_URL = os.environ.get("HRIA_TEST_POSTGRES_URL", "postgresql:///postgres?host=/var/run/postgresql")


@pytest.fixture
def postgres_url():
    try:
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect():
            pass
    except Exception as error:  # noqa: BLE001 - any failure to connect means "no server here"
        if os.environ.get("HRIA_TEST_POSTGRES_URL"):
            pytest.fail(f"PostgreSQL at HRIA_TEST_POSTGRES_URL is unreachable: {error}")
        pytest.skip(f"no PostgreSQL server reachable: {error}")
    name = f"hria_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _an_answer(question: dict):
    """A valid answer to any question of the bank, for tests that need finished work."""
    kind = question["type"]
    if kind == "yes_no":
        return "yes"
    if kind == "single":
        return question["options"][0]["value"]
    if kind == "multiple":  # never a prohibited practice, which would stop the system at scoping
        return [next(o["value"] for o in question["options"] if not o.get("prohibited"))]
    if kind == "number":
        return 1
    return "Answered for the test."


def answer_everything(assessment_id: int) -> int:
    """Answer every question shown (those that appear because of an answer too); gives how many were added.
    Call inside an app context; commits."""
    import json

    from hria.domain import workflow
    from hria.domain.models import Answer

    def someone_of(organisation_id):
        user = db.session.query(User).filter_by(organisation_id=organisation_id).first()
        return user.id if user else None

    added = 0
    for _ in range(20):  # each round may show questions that depend on the last round's answers
        assessment = db.session.get(Assessment, assessment_id)
        gaps = workflow.completeness(assessment)
        if gaps.complete:
            break
        system = assessment.system
        for question in gaps.missing:
            by = (
                system.vendor_id
                if question["answered_by"] == "vendor" and system.vendor_id
                else system.owner_id
            )
            db.session.add(
                Answer(
                    assessment_id=assessment_id,
                    question_id=question["id"],
                    value=json.dumps(_an_answer(question)),
                    answered_by_id=someone_of(by),
                )
            )
            added += 1
        db.session.commit()
    return added


@pytest.fixture
def finished(app):
    """Answers every shown question of an assessment, given its id."""

    def finish(assessment_id: int) -> int:
        with app.app_context():
            return answer_everything(assessment_id)

    return finish
