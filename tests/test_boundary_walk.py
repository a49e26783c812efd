"""A real ``hria serve --demo`` process: the demo vendor walks every id of every kind of object, one request
after another, and reads exactly what is its own to read, with no server error.

The expected answers are worked out here from the database itself (the demo's invitations, the question bank
each assessment is pinned to, the purpose of each file), not with the application's own access rules."""

from __future__ import annotations

import html
import http.cookiejar
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

VENDOR_PARTS = {"vendor", "either"}
BEYOND = 10  # ids past the last record of each table are walked too
HUGE = [2**31, 2**63, 2**64, 10**30]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    instance = tmp_path_factory.mktemp("demo-instance")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HRIA_")}
    env["HRIA_INSTANCE_PATH"] = str(instance)
    log = (instance / "server.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-P",
            "-c",
            "from hria.cli import main; main()",
            "serve",
            "--demo",
            "--port",
            str(port),
            "--threads",
            "2",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=str(instance),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the demo server did not start:\n" + (instance / "server.log").read_text())
                time.sleep(0.5)
        yield base, instance
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


class Browser:
    """Cookies and CSRF tokens over plain HTTP; counts every request and every 5xx."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )
        self.requests = 0
        self.server_errors: list[str] = []

    def open(self, path: str, data: dict | None = None) -> tuple[int, bytes]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        self.requests += 1
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:
                status, content = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, content = error.code, error.read()
        if status >= 500:
            self.server_errors.append(f"{'POST' if data is not None else 'GET'} {path} -> {status}")
        return status, content

    def token(self, path: str = "/") -> str:
        return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', self.open(path)[1].decode()).group(1)

    def sign_in(self, email: str, password: str) -> None:
        status, _ = self.open(
            "/login", {"email": email, "password": password, "csrf_token": self.token("/login")}
        )
        assert status == 302, f"sign-in of {email} answered {status}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Truth:
    """What the demo vendor may read, from the database rows."""

    def __init__(self, database: Path, email: str):
        db = sqlite3.connect(database)
        self.org = db.execute(
            "SELECT organisation_id FROM user_account WHERE email = ?", (email,)
        ).fetchone()[0]
        owners = dict(
            db.execute("SELECT a.id, s.owner_id FROM assessment a JOIN ai_system s ON s.id = a.system_id")
        )
        invited = {
            row[0]
            for row in db.execute(
                "SELECT assessment_id FROM invitation WHERE organisation_id = ?", (self.org,)
            )
        }
        self.own = {a for a, owner in owners.items() if owner == self.org}
        self.visible = self.own | invited
        banks = {
            bank_id: json.loads(content)
            for bank_id, content in db.execute("SELECT id, content FROM question_bank")
        }
        self.answered_by = {}
        for assessment, stage, bank_id in db.execute("SELECT id, stage, bank_id FROM assessment"):
            questions = banks[bank_id]["stages"][stage]["questions"] if bank_id else []
            self.answered_by[assessment] = {q["id"]: q["answered_by"] for q in questions}
        self.evidence = list(db.execute("SELECT id, assessment_id, purpose, question_id FROM evidence"))
        self.reports = list(db.execute("SELECT id, assessment_id, kind FROM report"))
        self.audits = list(db.execute("SELECT id, assessment_id FROM fairness_audit"))
        self.comments = list(db.execute("SELECT id, assessment_id, target, body FROM comment"))
        self.assessments = sorted(owners)
        self.systems = [row[0] for row in db.execute("SELECT id FROM ai_system")]
        system_of = dict(db.execute("SELECT id, system_id FROM assessment"))
        self.visible_systems = {system_of[a] for a in self.visible} | {
            row[0] for row in db.execute("SELECT id FROM ai_system WHERE owner_id = ?", (self.org,))
        }
        self.notified = list(
            db.execute(
                "SELECT c.assessment_id, c.target, c.body FROM notification n "
                "JOIN comment c ON c.id = n.comment_id "
                "JOIN user_account u ON u.id = n.user_id WHERE u.email = ?",
                (email,),
            )
        )
        db.close()

    def question(self, assessment: int, question_id: str | None) -> bool:
        if assessment in self.own:
            return True
        return self.answered_by[assessment].get(question_id or "") in VENDOR_PARTS

    def file(self, assessment: int, purpose: str, question_id: str | None) -> bool:
        if assessment not in self.visible:
            return False
        if purpose == "question":
            return self.question(assessment, question_id)
        return purpose == "model_outputs" or assessment in self.own

    def comment(self, assessment: int, target: str) -> bool:
        if assessment not in self.visible:
            return False
        if assessment in self.own or target == "vendors":
            return True
        return target.startswith("question:") and self.question(assessment, target.split(":", 1)[1])

    def report(self, assessment: int, kind: str) -> bool:
        return assessment in self.visible and (kind == "self-certification" or assessment in self.own)


def _password(instance: Path, email: str) -> str:
    for line in (instance / "demo-logins.txt").read_text().splitlines():
        if line.startswith(email + "\t"):
            return line.split("\t")[3]
    raise AssertionError(f"no demo sign-in for {email}")


def _login(instance: Path, role: str) -> tuple[str, str]:
    for line in (instance / "demo-logins.txt").read_text().splitlines():
        email, line_role, _, password = line.split("\t")
        if line_role == role:
            return email, password
    raise AssertionError(f"no demo {role}")


def _buyer_side_discussion(base: str, instance: Path) -> None:
    """The procurer and the board discuss the welfare assessments over the server, on every kind of thread."""
    db = sqlite3.connect(instance / "hria.sqlite3")
    stages = dict(
        db.execute(
            "SELECT a.stage, a.id FROM assessment a JOIN ai_system s ON s.id = a.system_id "
            "WHERE s.name = 'Welfare fraud risk score'"
        )
    )
    db.close()
    for role, assessment, targets in (
        ("procurer", stages["procurement"], ["assessment", "question:PRO-01", "question:PRO-02", "vendors"]),
        ("oversight", stages["scoping"], ["assessment", "question:SCO-08", "vendors"]),
    ):
        browser = Browser(base)
        browser.sign_in(*_login(instance, role))
        page = browser.open(f"/assessments/{assessment}/comments")[1].decode()
        token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)
        for target in targets:
            if (
                f'value="{target}"' in page
            ):  # the thread with the invited vendors is offered where there are some
                status, _ = browser.open(
                    f"/assessments/{assessment}/comments",
                    {
                        "csrf_token": token,
                        "target": target,
                        "body": f"{role} on {target} of assessment {assessment}",
                    },
                )
                assert status == 302


@pytest.fixture(scope="module")
def discussed(demo_server):
    _buyer_side_discussion(*demo_server)
    return demo_server


@pytest.mark.parametrize("email", ["vendor@civic-analytics.example", "vendor@urbansight.example"])
def test_a_demo_vendor_walking_every_id_reads_only_its_own_part(discussed, email):
    """Civic Analytics is invited to the welfare assessments and self-certifies its product; UrbanSight is
    invited to nothing."""
    base, instance = discussed
    password = _password(instance, email)
    truth = Truth(instance / "hria.sqlite3", email)
    assert truth.evidence and truth.comments and truth.reports  # the demo has each kind of object
    browser = Browser(base)
    browser.sign_in(email, password)

    wrong: list[str] = []

    def expect(path: str, readable: bool) -> bytes:
        status, content = browser.open(path)
        if status != (200 if readable else 404):
            wrong.append(f"GET {path} -> {status}, expected {200 if readable else 404}")
        return content

    # first, before opening a comments page marks its notifications read
    dashboard = browser.open("/")[1].decode(errors="replace")
    wrong += [
        f"dashboard shows the notification of a comment on {target} of assessment {assessment}"
        for assessment, target, body in truth.notified
        if not truth.comment(assessment, target) and html.escape(body[:60]) in dashboard
    ]

    files = {row[0]: row for row in truth.evidence}
    for i in range(1, max(files) + BEYOND):
        _, assessment, purpose, question_id = files.get(i, (i, None, None, None))
        expect(
            f"/evidence/{i}/download", assessment is not None and truth.file(assessment, purpose, question_id)
        )
    reports = {row[0]: row for row in truth.reports}
    for i in range(1, max(reports) + BEYOND):
        _, assessment, kind = reports.get(i, (i, None, None))
        expect(f"/reports/{i}/download", assessment is not None and truth.report(assessment, kind))
    audits = dict(truth.audits)
    for i in range(1, max(audits) + BEYOND):
        expect(f"/audits/{i}", audits.get(i) in truth.visible)
    shown_comments, hidden_comments = set(), set()
    for i in range(1, max(truth.assessments) + BEYOND):
        expect(f"/assessments/{i}", i in truth.visible)
        page = expect(f"/assessments/{i}/comments", i in truth.visible).decode(errors="replace")
        expect(f"/assessments/{i}/remediation", i in truth.own)
        expect(f"/assessments/{i}/risks", i in truth.own)
        for _, assessment, target, body in truth.comments:
            if assessment == i:
                (shown_comments if html.escape(body) in page else hidden_comments).add(
                    (assessment, target, body)
                )
    for i in range(1, max(truth.systems) + BEYOND):
        expect(f"/systems/{i}", i in truth.visible_systems)
    expected_shown = {(a, t, b) for _, a, t, b in truth.comments if truth.comment(a, t)}
    wrong += [f"comment on {t} of assessment {a} shown" for a, t, _ in shown_comments - expected_shown]
    wrong += [f"comment on {t} of assessment {a} not shown" for a, t, _ in expected_shown - shown_comments]

    # replies to every comment it may not read, and malformed or huge parent ids, are refused
    readable_ids = {c for c, a, t, _ in truth.comments if truth.comment(a, t)}
    for comment_id, assessment, _, _ in truth.comments:
        if assessment in truth.visible and comment_id not in readable_ids:
            token = browser.token(f"/assessments/{assessment}/comments")
            status, _ = browser.open(
                f"/assessments/{assessment}/comments",
                {"csrf_token": token, "parent_id": str(comment_id), "body": "a reply"},
            )
            if status != 404:
                wrong.append(f"reply to comment {comment_id} -> {status}")
    for assessment in sorted(truth.visible):  # malformed and huge parent ids
        token = browser.token(f"/assessments/{assessment}/comments")
        for parent, expected in [("abc", 400)] + [(str(n), 404) for n in HUGE]:
            status, _ = browser.open(
                f"/assessments/{assessment}/comments",
                {"csrf_token": token, "parent_id": parent, "body": "a reply"},
            )
            if status != expected:
                wrong.append(f"parent_id={parent} on {assessment} -> {status}")
    for n in HUGE:
        for path in (
            f"/evidence/{n}/download",
            f"/reports/{n}/download",
            f"/audits/{n}",
            f"/assessments/{n}",
            f"/assessments/{n}/comments",
            f"/systems/{n}",
        ):
            expect(path, False)

    print(
        f"\n{browser.requests} requests as {email}: {len(wrong)} unexpected answers, "
        f"{len(browser.server_errors)} server errors; {len(shown_comments)} comments shown, "
        f"{len(hidden_comments)} hidden",
        *wrong,
        *browser.server_errors,
        sep="\n  ",
    )
    assert browser.server_errors == []
    assert wrong == []
    assert browser.requests > 100
    assert len(shown_comments) + len(hidden_comments) == len(truth.comments)
