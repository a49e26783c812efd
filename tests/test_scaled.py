"""The scaled setup end to end: gunicorn web processes and `hria worker` processes on PostgreSQL, Redis and an
S3 bucket, with no folder shared between them; a worker killed mid-job; the README's commands as written."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from conftest import CSRF_RE, form_fields
from s3server import CREDENTIALS, free_port, s3_server
from test_queue import block, redis_url, stop  # noqa: F401 - redis_url is a fixture

from hria import create_app, database
from hria.domain import accounts
from hria.domain.models import Assessment, Event, Evidence, FairnessAudit, Finding, RemediationAction, System
from hria.extensions import db

pytestmark = pytest.mark.postgres

HRIA = [sys.executable, "-c", "from hria.cli import main; main()"]
GUNICORN = [sys.executable, "-m", "gunicorn"]
README = Path(__file__).resolve().parent.parent / "README.md"
PASSWORD = "scaled setup passphrase 4417"
AUDITS = 20
BIG_BLOCKS = 30  # the one slow audit: 3,000,000 rows, long enough to be stopped mid-way
MAPPING = {
    "y_true": "outcome",
    "y_pred": "flagged",
    "score": "",
    "sensitive_features": ["group"],
    "min_group_size": "30",
    "confidence": "0.95",
}


@pytest.fixture
def s3():
    with s3_server() as server:
        yield server


@pytest.fixture
def settings(postgres_url, redis_url, s3, tmp_path):  # noqa: F811 - the fixture imported above
    """What every process is given: the database, the queue, the bucket and a shared session key; short
    leases, so a dead worker's job comes back within seconds."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("HRIA_")},
        **CREDENTIALS,
        "HRIA_DATABASE_URL": postgres_url,
        "HRIA_QUEUE_URL": redis_url,
        "HRIA_EVIDENCE_URL": f"s3://{s3.bucket}/evidence",
        "HRIA_S3_ENDPOINT_URL": s3.endpoint,
        "HRIA_SECRET_KEY": "scaled-test-session-key-0123456789",
        "HRIA_QUEUE_LEASE_SECONDS": "2",
        "HRIA_QUEUE_HEARTBEAT_SECONDS": "0.5",
        "HRIA_INSTANCE_PATH": str(tmp_path / "seed"),
    }


def with_instance(settings: dict, folder: Path) -> dict:
    return {**settings, "HRIA_INSTANCE_PATH": str(folder)}


def wait_until(check, what: str, process: subprocess.Popen | None = None, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the process exited with {process.returncode}")
        try:
            if check():
                return
        except requests.RequestException:  # not up yet
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {seconds:.0f} s")


def start_gunicorn(settings: dict, folder: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [*GUNICORN, "--workers", "1", "--threads", "4", "--bind", f"127.0.0.1:{port}", "hria.wsgi:app"],
        env=with_instance(settings, folder),
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: requests.get(base + "/login", timeout=30).ok, f"gunicorn on {port}", process)
    return process, base


def start_worker(settings: dict, folder: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*HRIA, "worker", "--threads", "1"], env=with_instance(settings, folder), stderr=log.open("w")
    )


def seed(settings: dict, monkeypatch) -> tuple[object, str, int]:
    """A city with a procurement officer and a system to assess; gives the app, the email, the assessment."""
    for name, value in settings.items():
        if name.startswith("HRIA_"):
            monkeypatch.setenv(name, value)
    app = create_app()
    database.upgrade(app)
    with app.app_context():
        city = accounts.create_organisation("City of Riverton", "buyer")
        accounts.create_user("officer@riverton.example", PASSWORD, "procurer", city)
        system = System(name="Benefit scoring", purpose="Scores applications", owner=city, sector="welfare")
        assessment = Assessment(system=system, stage="scoping", status="draft", language="en")
        db.session.add_all([system, assessment])
        db.session.commit()
        return app, "officer@riverton.example", assessment.id


def sign_in(session: requests.Session, base: str, email: str) -> None:
    page = session.get(base + "/login", timeout=30).text
    response = session.post(
        base + "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": CSRF_RE.search(page).group(1)},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302 and "/login" not in response.headers["Location"], response.text


def submit_audit(
    session: requests.Session, upload_to: str, map_on: str, assessment_id: int, content: bytes
) -> int:
    """Upload a file on one web process and map its columns on another, as a user behind a load balancer
    would; gives the audit's id."""
    page = session.get(f"{upload_to}/assessments/{assessment_id}", timeout=30).text
    response = session.post(
        f"{upload_to}/assessments/{assessment_id}/audits/upload",
        data={"csrf_token": CSRF_RE.search(page).group(1)},
        files={"file": ("outputs.csv", content, "text/csv")},
        allow_redirects=False,
        timeout=120,
    )
    assert response.status_code == 302 and "/audits/new/" in response.headers["Location"], response.text
    configure = map_on + re.sub(r"^https?://[^/]+", "", response.headers["Location"])
    page = session.get(configure, timeout=60).text
    assert 'value="outcome"' in page, page
    response = session.post(
        configure, data={**form_fields(page), **MAPPING}, allow_redirects=False, timeout=60
    )
    assert response.status_code == 302 and "/audits/" in response.headers["Location"], response.text
    return int(response.headers["Location"].rsplit("/", 1)[1])


def small_file(i: int) -> bytes:
    """A file of its own for each audit (2,000 rows plus i), with the disparity of test_queue's block."""
    lines = block().split(b"\n")[: 2000 + i]
    return b"outcome,flagged,group\n" + b"\n".join(lines) + b"\n"


def audits(app, ids) -> dict[int, FairnessAudit]:
    with app.app_context():
        records = db.session.query(FairnessAudit).filter(FairnessAudit.id.in_(ids)).all()
        db.session.expunge_all()
        return {r.id: r for r in records}


def test_twenty_audits_through_two_web_processes_and_two_workers_one_killed(
    settings, monkeypatch, tmp_path, s3
):
    app, email, assessment_id = seed(settings, monkeypatch)
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = []
    try:
        webs = []
        for name in ("web1", "web2"):
            process, base = start_gunicorn(settings, tmp_path / name, logs / f"{name}.log")
            processes.append(process)
            webs.append(base)
        workers = [start_worker(settings, tmp_path / f"worker{i}", logs / f"worker{i}.log") for i in (1, 2)]
        processes += workers

        session = requests.Session()
        sign_in(session, webs[0], email)  # one sign-in serves both: the session is in its cookie
        big = b"outcome,flagged,group\n" + block() * BIG_BLOCKS
        ids = [submit_audit(session, webs[0], webs[1], assessment_id, big)]

        def big_is_counting():
            record = audits(app, ids[:1])[ids[0]]
            return record.status == "running" and "rows counted" in record.progress

        wait_until(big_is_counting, "the slow audit's first progress")
        running = audits(app, ids[:1])[ids[0]]
        killed = int(running.lease_owner.split(":")[1])
        assert killed in {w.pid for w in workers}
        os.kill(killed, signal.SIGKILL)

        for i in range(1, AUDITS):
            upload_to, map_on = (webs[i % 2], webs[(i + 1) % 2])
            ids.append(submit_audit(session, upload_to, map_on, assessment_id, small_file(i)))

        def all_finished():
            return all(r.status not in ("queued", "running") for r in audits(app, ids).values())

        wait_until(all_finished, "all twenty audits", seconds=240)
        pages = [session.get(f"{webs[i % 2]}/audits/{job}", timeout=30).text for i, job in enumerate(ids)]
    finally:
        stop(processes)

    records = audits(app, ids)
    assert [records[i].status for i in ids] == ["done"] * AUDITS, [records[i].error for i in ids]
    assert records[ids[0]].attempts == 2
    survivor = next(w.pid for w in workers if w.pid != killed)
    assert int(records[ids[0]].lease_owner.split(":")[1]) == survivor
    assert json.loads(records[ids[0]].result)["rows"] == BIG_BLOCKS * 100_000
    assert [json.loads(records[i].result)["rows"] for i in ids[1:]] == [2000 + i for i in range(1, AUDITS)]
    assert all("What the audit found" in page for page in pages)
    with app.app_context():
        assert db.session.query(Evidence).filter_by(assessment_id=assessment_id).count() == AUDITS
        for job in ids:
            findings = db.session.query(Finding).filter_by(source="fairness_audit", source_id=job).all()
            assert len(findings) == 1 and findings[0].right == "equality", job
            assert db.session.query(RemediationAction).filter_by(finding_id=findings[0].id).count() == 1
            events = (
                db.session.query(Event)
                .filter_by(object_type="fairness_audit", object_id=job)
                .order_by(Event.id)
            )
            assert [e.action for e in events.all()] == ["create", "update"], job
            created = db.session.query(Event).filter_by(object_type="finding", object_id=findings[0].id).all()
            assert [e.action for e in created] == ["create"], job
        db.engine.dispose()
    assert len(s3.keys()) == AUDITS
    # no process kept the evidence in its folder: each upload lives in the bucket only
    assert [p for p in tmp_path.glob("*/uploads/*/*")] == []
    verified = subprocess.run(
        [*HRIA, "events", "verify"], env=settings, capture_output=True, text=True, timeout=120
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "intact" in verified.stdout.lower(), verified.stdout


def readme_commands() -> list[str]:
    """The shell block of the README's "Running at scale" section, line by line."""
    section = README.read_text().split("## Running at scale", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the Running at scale section has no ```sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def as_tested(line: str, settings: dict, port: int) -> str:
    """The README's line with this test's addresses in place of the examples; everything else as written."""
    if line.startswith("pip install"):
        return ""  # the test runs in the installed checkout
    if line.startswith("export "):
        names = re.findall(r"(\w+)=\S+", line.split("#", 1)[0])
        missing = [n for n in names if n not in settings]
        assert not missing, f"the README exports {missing}, which this test does not set"
        return "export " + " ".join(f"{n}='{settings[n]}'" for n in names)
    return line.replace("0.0.0.0:8000", f"127.0.0.1:{port}")


def test_the_readme_commands_run_the_scaled_setup(settings, monkeypatch, tmp_path):
    if not (Path(sys.executable).parent / "gunicorn").exists():
        pytest.skip("gunicorn is not installed beside this Python")
    port = free_port()
    lines = [as_tested(line, settings, port) for line in readme_commands()]
    assert any(line.startswith("hria init") for line in lines)
    assert any(line.startswith("hria worker") and "&" in line for line in lines)
    assert lines[-1].startswith("gunicorn ") and "hria.wsgi:app" in lines[-1]
    script = "set -e\n" + "\n".join(lines) + "\n"
    env = {k: v for k, v in settings.items() if not k.startswith("HRIA_") and not k.startswith("AWS_")}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    log = tmp_path / "readme.log"
    shell = subprocess.Popen(
        ["bash", "-c", script],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: requests.get(base + "/login", timeout=30).ok, "the README's gunicorn", shell, 120)
        settings = {**settings, "HRIA_INSTANCE_PATH": str(tmp_path / "seed")}
        app, email, assessment_id = seed(settings, monkeypatch)
        session = requests.Session()
        sign_in(session, base, email)
        job = submit_audit(session, base, base, assessment_id, small_file(0))
        wait_until(
            lambda: audits(app, [job])[job].status not in ("queued", "running"), "the audit", seconds=120
        )
    finally:
        os.killpg(shell.pid, signal.SIGTERM)
        shell.wait(30)
    record = audits(app, [job])[job]
    assert record.status == "done", (record.error, log.read_text())
    assert json.loads(record.result)["rows"] == 2000
    with app.app_context():
        db.engine.dispose()
