"""Audits and explanations on a real task queue: `hria worker` processes on Redis or on the embedded SQLite
queue, a worker killed mid-job, and the job done once by another."""

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Auth

from hria import create_app, database
from hria.domain import jobs, trail
from hria.domain.models import Event, Evidence, FairnessAudit, Finding, RemediationAction
from hria.extensions import db

WORKER = [sys.executable, "-c", "from hria.cli import main; main()"]
BLOCKS = 20  # the audited file repeats one block of rows this many times
BLOCK_ROWS = 100_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    """A redis-server of the test's own, on a free port, its files in a temporary folder."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (.ci/run installs Debian's redis-server)")
        pytest.skip("redis-server is not installed")
    port = free_port()
    folder = tmp_path / "redis"
    folder.mkdir()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(10)


@pytest.fixture
def app(request, tmp_path, monkeypatch):
    """An application whose jobs go to a real queue (the parameter: 'embedded' or 'redis'), with short leases
    so a dead worker's job comes back within seconds. The settings are in the environment, so the workers
    this test starts share them."""
    for name in ("HRIA_DATABASE_URL", "HRIA_SECRET_KEY", "HRIA_MAX_UPLOAD_MB", "HRIA_QUEUE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HRIA_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("HRIA_QUEUE_LEASE_SECONDS", "2")
    monkeypatch.setenv("HRIA_QUEUE_HEARTBEAT_SECONDS", "0.5")
    queue_kind, database_kind = getattr(request, "param", ("embedded", "sqlite"))
    if queue_kind == "redis":
        monkeypatch.setenv("HRIA_QUEUE_URL", request.getfixturevalue("redis_url"))
    if database_kind == "postgresql":
        monkeypatch.setenv("HRIA_DATABASE_URL", request.getfixturevalue("postgres_url"))
    app = create_app({"TESTING": True})
    database.upgrade(app)
    yield app
    with app.app_context():
        db.engine.dispose()


def block() -> bytes:
    """Rows where group b's negatives are flagged three times as often as group a's (30 % against 10 %)."""
    lines = []
    for i in range(BLOCK_ROWS):
        group, outcome = "ab"[i % 2], (i // 2) % 2
        flagged = 1 if outcome else int((i // 4) % 10 < (3 if group == "b" else 1))
        lines.append(f"{outcome},{flagged},{group}")
    return ("\n".join(lines) + "\n").encode()


def queue_audit(app, world, blocks: int = BLOCKS, send: bool = True) -> int:
    """An audit of a file of ``blocks`` blocks, its row committed and (with ``send``) its id on the queue."""
    content = b"outcome,flagged,group\n" + block() * blocks
    sha256 = hashlib.sha256(content).hexdigest()
    path = Path(app.config["UPLOAD_FOLDER"]) / sha256[:2] / sha256
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    settings = {
        "y_true": "outcome",
        "y_pred": "flagged",
        "sensitive_features": ["group"],
        "chunk_rows": 100_000,  # progress after every 100,000 rows, so the test can stop a worker mid-job
    }
    with app.app_context():
        evidence = Evidence(
            assessment_id=world.assessments["a"],
            purpose="model_outputs",
            filename="outputs.csv",
            sha256=sha256,
            size=len(content),
        )
        job = FairnessAudit(
            assessment_id=world.assessments["a"],
            evidence=evidence,
            settings=json.dumps(settings),
            status="queued",
        )
        db.session.add_all([evidence, job])
        db.session.commit()
        if send:
            jobs.enqueue(job.id)
        return job.id


def start_worker() -> subprocess.Popen:
    return subprocess.Popen([*WORKER, "worker", "--threads", "1"], stdout=subprocess.DEVNULL)


def state(app, job_id: int) -> FairnessAudit:
    with app.app_context():
        record = db.session.get(FairnessAudit, job_id)
        db.session.expunge(record)
        return record


def wait_for(app, job_id: int, condition, timeout: float = 120, on_poll=None) -> FairnessAudit:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = state(app, job_id)
        if on_poll is not None:
            on_poll()
        if condition(record):
            return record
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {record.status} ({record.progress}) after {timeout} s")


def stop(processes) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        process.wait(20)


@pytest.mark.parametrize(
    "app",
    [
        ("embedded", "sqlite"),
        ("redis", "sqlite"),
        pytest.param(("redis", "postgresql"), marks=pytest.mark.postgres),
    ],
    indirect=True,
    ids=["embedded-sqlite", "redis-sqlite", "redis-postgresql"],
)
def test_a_killed_workers_job_is_done_once_by_another(app, world):
    workers = [start_worker(), start_worker()]
    client = app.test_client()
    Auth(client).login(world.users["procurer_a"])
    pages = []

    def read_page():
        pages.append(client.get(f"/audits/{job_id}").get_data(as_text=True))

    try:
        job_id = queue_audit(app, world)
        running = wait_for(app, job_id, lambda r: "rows counted" in r.progress, on_poll=read_page)
        assert running.status == "running" and running.attempts == 1
        killed = int(running.lease_owner.split(":")[1])
        assert killed in {w.pid for w in workers}
        os.kill(killed, signal.SIGKILL)
        killed_at = len(pages)
        done = wait_for(app, job_id, lambda r: r.status not in ("queued", "running"), on_poll=read_page)
    finally:
        stop(workers)

    assert done.status == "done", done.error
    assert done.attempts == 2
    survivor = next(w.pid for w in workers if w.pid != killed)
    assert int(done.lease_owner.split(":")[1]) == survivor
    assert json.loads(done.result)["rows"] == BLOCKS * BLOCK_ROWS
    # the page showed the job's progress before and after the kill, then its result; never an error
    assert all("Running" in p or "Waiting to start" in p or "What the audit found" in p for p in pages)
    assert any("rows counted" in p for p in pages[:killed_at])
    assert any("Running" in p or "Waiting to start" in p for p in pages[killed_at:])
    assert "What the audit found" in client.get(f"/audits/{job_id}").get_data(as_text=True)
    with app.app_context():
        findings = db.session.query(Finding).filter_by(source="fairness_audit", source_id=job_id).all()
        assert len(findings) == 1 and findings[0].right == "equality"
        assert db.session.query(RemediationAction).filter_by(finding_id=findings[0].id).count() == 1
        events = db.session.query(Event).filter_by(object_type="fairness_audit", object_id=job_id).all()
        assert [e.action for e in events] == ["create", "update"], "\n".join(
            f"{e.actor} {e.before} {e.after}" for e in events
        )
        assert json.loads(events[1].after)["status"] == "done"
        finding_events = db.session.query(Event).filter_by(object_type="finding", object_id=findings[0].id)
        assert [e.action for e in finding_events] == ["create"]
        assert trail.verify_chain(db.session).intact


def test_hria_serve_works_through_the_embedded_queue_and_stops_its_worker(app, world):
    server = subprocess.Popen(
        [*WORKER, "serve", "--port", str(free_port()), "--worker-threads", "1"], stdout=subprocess.DEVNULL
    )
    try:
        job_id = queue_audit(app, world, blocks=1)
        done = wait_for(app, job_id, lambda r: r.status == "done", timeout=60)
        worker = int(done.lease_owner.split(":")[1])
        assert worker != server.pid and Path(f"/proc/{worker}").exists()
        assert json.loads(done.result)["rows"] == BLOCK_ROWS
    finally:
        server.kill()  # not even a chance to stop its worker: the worker notices by itself
        server.wait(10)
    deadline = time.monotonic() + 15
    while running(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running(worker)


def running(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


def test_a_job_whose_message_never_reached_the_queue_is_sent_by_the_sweep(app, world):
    # as when the web process stopped between committing the job and sending it
    job_id = queue_audit(app, world, blocks=1, send=False)
    worker = start_worker()
    try:
        done = wait_for(app, job_id, lambda r: r.status == "done", timeout=60)
    finally:
        stop([worker])
    assert done.attempts == 1 and json.loads(done.result)["rows"] == BLOCK_ROWS


def test_a_job_that_kills_every_worker_fails_with_advice(app, world):
    job_id = queue_audit(app, world, blocks=1)
    with app.app_context():
        # as a worker that died on its third start leaves it
        db.session.query(FairnessAudit).filter_by(id=job_id).update(
            {"status": "running", "attempts": 3, "lease_owner": "gone:1:x", "lease_until": None}
        )
        db.session.commit()
        assert jobs.sweep() == []
    record = state(app, job_id)
    assert record.status == "failed"
    assert "stopped 3 times" in record.error and "smaller file" in record.error


@pytest.mark.postgres
@pytest.mark.parametrize("app", [("redis", "postgresql")], indirect=True, ids=["redis-postgresql"])
def test_a_stalled_worker_that_lost_its_job_writes_nothing(app, world, tmp_path):
    """A worker frozen mid-job (SIGSTOP) loses its lease; another does the job; the first, thawed, finishes
    its computation and finds the job no longer its own."""
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    first = subprocess.Popen([*WORKER, "worker", "--threads", "1"], stderr=logs[0].open("w"))
    second = None
    try:
        job_id = queue_audit(app, world)
        seen = wait_for(app, job_id, lambda r: "rows counted" in r.progress)
        # Frozen just after a progress write committed, so it holds no lock the others would wait for.
        first.send_signal(signal.SIGSTOP)
        second = subprocess.Popen([*WORKER, "worker", "--threads", "1"], stderr=logs[1].open("w"))
        done = wait_for(app, job_id, lambda r: r.status == "done")
        first.send_signal(signal.SIGCONT)
        deadline = time.monotonic() + 120
        while "taken over by another worker" not in logs[0].read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        first.send_signal(signal.SIGCONT)
        stop([p for p in (first, second) if p is not None])
    assert int(seen.lease_owner.split(":")[1]) == first.pid
    assert int(done.lease_owner.split(":")[1]) == second.pid and done.attempts == 2
    assert state(app, job_id).result == done.result
    with app.app_context():
        assert db.session.query(Finding).filter_by(source="fairness_audit", source_id=job_id).count() == 1
        events = db.session.query(Event).filter_by(object_type="fairness_audit", object_id=job_id).all()
        assert [e.action for e in events] == ["create", "update"]
    assert f"Job {job_id} was taken over by another worker" in logs[0].read_text()
