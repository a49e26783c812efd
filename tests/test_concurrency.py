"""A busy office on a real server: concurrent sign-ins and concurrent saves of one section.

The application is served by waitress in this process, on a SQLite file and (when a server is
reachable) on PostgreSQL; the clients are real HTTP clients on their own threads. Every response
is checked (no 5xx), the event chain must stay whole, and no acknowledged save may be overwritten.
"""

from __future__ import annotations

import http.cookiejar
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

import pytest
from conftest import CSRF_RE, PASSWORD, PASSWORD_HASH, answer_everything, form_fields
from sqlalchemy import select

from hria import create_app, database
from hria.domain import trail
from hria.domain.models import Answer, Assessment, Event, System, User
from hria.extensions import db

CLIENTS = 20
TRIALS = 20


def app_on(request, tmp_path, monkeypatch):
    """An app with CSRF on, its schema made, on the database the test is parametrised with."""
    monkeypatch.delenv("HRIA_SECRET_KEY", raising=False)
    monkeypatch.setenv("HRIA_INSTANCE_PATH", str(tmp_path / "instance"))
    if request.param == "postgres":
        monkeypatch.setenv("HRIA_DATABASE_URL", request.getfixturevalue("postgres_url"))
    else:
        monkeypatch.delenv("HRIA_DATABASE_URL", raising=False)
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": True})
    database.upgrade(app)
    return app


@pytest.fixture(params=["sqlite", "postgres"])
def served(request, tmp_path, monkeypatch, world_factory):
    """A waitress server on its own threads, and the app it serves, on either database."""
    app = app_on(request, tmp_path, monkeypatch)
    world_factory(app)
    with serving(app) as base:
        yield app, base
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def world_factory():
    def build(app):
        from hria.domain.accounts import create_organisation

        with app.app_context():
            city = create_organisation("City A", "buyer")
            for n in range(CLIENTS):
                db.session.add(
                    User(
                        email=f"officer{n}@a.example",
                        role="procurer",
                        organisation=city,
                        password_hash=PASSWORD_HASH,
                    )
                )
            system = System(
                name="Benefit scoring",
                purpose="Scores applications",
                owner=city,
                sector="welfare",
                automated_decisions=True,
            )
            db.session.add_all(
                [system, Assessment(system=system, stage="scoping", status="draft", language="en")]
            )
            db.session.commit()

    return build


@contextmanager
def serving(app):
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=CLIENTS)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """A browser without a screen: its own cookies, no redirects followed, every status kept."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect
        )

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=120) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def login(self, email: str) -> int:
        _, page = self.request("/login")
        token = CSRF_RE.search(page).group(1)
        status, _ = self.request("/login", {"email": email, "password": PASSWORD, "csrf_token": token})
        return status


def _together(count: int, work) -> list:
    """Run ``work(i)`` on ``count`` threads released at the same moment; return their results in order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return results


def test_concurrent_sign_ins_all_succeed_and_keep_the_chain(served):
    app, base = served
    clients = [Client(base) for _ in range(CLIENTS)]
    pages = [c.request("/login")[1] for c in clients]
    tokens = [CSRF_RE.search(p).group(1) for p in pages]

    statuses = _together(
        CLIENTS,
        lambda i: clients[i].request(
            "/login", {"email": f"officer{i}@a.example", "password": PASSWORD, "csrf_token": tokens[i]}
        )[0],
    )

    assert statuses == [302] * CLIENTS
    with app.app_context():
        report = trail.verify_chain(db.session)
        assert report.intact, report.reason
        sign_ins = db.session.scalars(select(Event.actor).where(Event.action == "sign_in")).all()
        assert sorted(sign_ins) == sorted(f"officer{i}@a.example" for i in range(CLIENTS))
        seqs = db.session.scalars(select(Event.seq).order_by(Event.seq)).all()
        assert seqs == list(range(1, len(seqs) + 1))


def test_concurrent_saves_of_one_section_lose_nothing(served):
    app, base = served
    with app.app_context():
        assessment_id = db.session.scalar(select(Assessment.id))
    url = f"/assessments/{assessment_id}/sections/purpose"
    alice, bob = Client(base), Client(base)
    assert alice.login("officer0@a.example") == 302 and bob.login("officer1@a.example") == 302

    outcomes = []
    for trial in range(TRIALS):
        forms = [form_fields(c.request(url)[1]) for c in (alice, bob)]
        assert forms[0]["version"] == forms[1]["version"]
        for n, form in enumerate(forms):
            form.update({"SCO-01": f"purpose written by client {n} in trial {trial}", "save": "1"})
        statuses = _together(2, lambda i, forms=forms: (alice, bob)[i].request(url, forms[i])[0])
        assert sorted(statuses) == [302, 409], statuses
        winner = statuses.index(302)
        with app.app_context():
            saved = db.session.scalar(
                select(Answer.value).where(
                    Answer.assessment_id == assessment_id, Answer.question_id == "SCO-01"
                )
            )
        assert json.loads(saved) == f"purpose written by client {winner} in trial {trial}"
        outcomes.append(winner)
    with app.app_context():
        report = trail.verify_chain(db.session)
        assert report.intact, report.reason
    assert len(outcomes) == TRIALS


def test_a_write_that_cannot_get_the_lock_is_told_to_retry(tmp_path, monkeypatch):
    """Another process holds SQLite's write lock past the busy timeout: 503 with a message, nothing lost."""
    import sqlite3

    from conftest import Auth
    from conftest import world as make_world

    monkeypatch.delenv("HRIA_DATABASE_URL", raising=False)
    monkeypatch.setenv("HRIA_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SQLITE_BUSY_SECONDS": 0.2})
    database.upgrade(app)
    world = make_world.__wrapped__(app)
    client = app.test_client()
    auth = Auth(client)
    auth.login(world.users["procurer_a"])
    url = f"/assessments/{world.assessments['a']}/sections/purpose"
    data = form_fields(client.get(url).get_data(as_text=True))
    data.update({"SCO-01": "kept", "save": "1"})
    assert client.post(url, data=data).status_code == 302
    data = form_fields(client.get(url).get_data(as_text=True))
    data.update({"SCO-01": "never saved", "save": "1"})

    with app.app_context():
        path = db.engine.url.database
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = client.post(url, data=data)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "Nothing was saved" in response.get_data(as_text=True)
    with app.app_context():
        saved = db.session.scalar(select(Answer.value).where(Answer.question_id == "SCO-01"))
        assert json.loads(saved) == "kept"
        assert trail.verify_chain(db.session).intact


def test_a_double_submit_moves_the_assessment_once(served):
    app, base = served
    with app.app_context():
        assessment_id = db.session.scalar(select(Assessment.id))
        answer_everything(assessment_id)
    url = f"/assessments/{assessment_id}"
    alice, bob = Client(base), Client(base)
    assert alice.login("officer0@a.example") == 302 and bob.login("officer1@a.example") == 302
    tokens = [form_fields(c.request(url)[1])["csrf_token"] for c in (alice, bob)]

    statuses = _together(
        2,
        lambda i: (alice, bob)[i].request(
            f"{url}/transitions/submit", {"csrf_token": tokens[i], "comment": f"ready ({i})"}
        )[0],
    )

    assert sorted(statuses) == [302, 403], statuses
    with app.app_context():
        moves = db.session.scalars(select(Event.comment).where(Event.action == "transition:submit")).all()
        assert len(moves) == 1 and moves[0] == f"ready ({statuses.index(302)})"
        assert db.session.get(Assessment, assessment_id).status == "submitted"
        assert trail.verify_chain(db.session).intact


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(base: str, process, seconds: float = 120) -> None:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server stopped: {process.communicate()[0]}")
        try:
            urllib.request.urlopen(base + "/login", timeout=5).read()
            return
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise AssertionError(f"the server did not answer within {seconds} s: {process.communicate()[0]}")


def test_two_server_processes_on_one_sqlite_file_keep_one_chain(tmp_path, monkeypatch, world_factory):
    """Two `hria serve` processes share the embedded database; sign-ins through both at once."""
    import os
    import subprocess
    import sys

    instance = tmp_path / "instance"
    monkeypatch.delenv("HRIA_DATABASE_URL", raising=False)
    monkeypatch.delenv("HRIA_SECRET_KEY", raising=False)
    monkeypatch.setenv("HRIA_INSTANCE_PATH", str(instance))
    app = create_app({"TESTING": True})
    database.upgrade(app)
    world_factory(app)
    with app.app_context():
        db.engine.dispose()

    env = {**os.environ, "HRIA_INSTANCE_PATH": str(instance)}
    servers, bases = [], []
    try:
        for _ in range(2):
            port = _free_port()
            servers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-P",
                        "-c",
                        "from hria.cli import main; main()",
                        "serve",
                        "--port",
                        str(port),
                        "--threads",
                        str(CLIENTS),
                    ],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        for base, process in zip(bases, servers, strict=True):
            _wait_for(base, process)
        clients = [Client(bases[i % 2]) for i in range(CLIENTS)]
        tokens = [CSRF_RE.search(c.request("/login")[1]).group(1) for c in clients]
        statuses = _together(
            CLIENTS,
            lambda i: clients[i].request(
                "/login", {"email": f"officer{i}@a.example", "password": PASSWORD, "csrf_token": tokens[i]}
            )[0],
        )
    finally:
        for process in servers:
            process.terminate()
            process.wait(timeout=30)

    assert statuses == [302] * CLIENTS
    with app.app_context():
        assert trail.verify_chain(db.session).intact
        assert db.session.query(Event).filter_by(action="sign_in").count() == CLIENTS


def test_one_form_sent_five_times_at_once_and_replayed_later_registers_one_system(served):
    app, base = served
    officer = Client(base)
    assert officer.login("officer0@a.example") == 302
    fields = form_fields(officer.request("/systems/new")[1])
    with app.app_context():
        owner_id = db.session.scalar(select(System.owner_id))
    form = {
        **fields,
        "name": "Parking enforcement",
        "purpose": "Flags unpaid parking",
        "owner_id": owner_id,
        "vendor_id": 0,
        "sector": "transport",
    }

    statuses = _together(5, lambda i: officer.request("/systems/new", form)[0])
    replayed = Client(base)  # the same session cookie, sent again later from elsewhere
    replayed.opener = officer.opener
    later = replayed.request("/systems/new", form)[0]

    assert (
        statuses == [302] * 5 and later == 302
    )  # each answer is a redirect: to the new system, or "sent twice"
    with app.app_context():
        assert db.session.scalars(select(System.name).where(System.name == "Parking enforcement")).all() == [
            "Parking enforcement"
        ]
