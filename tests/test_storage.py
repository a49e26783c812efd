"""Evidence files behind one interface: the instance folder by default, an S3-compatible bucket by
configuration, tested against a real S3 server (moto's) that two instances with no shared disk both reach."""

import base64
import hashlib
import io
import json
from pathlib import Path

import pytest
from conftest import Auth, csrf_token, form_fields
from s3server import CREDENTIALS, free_port, s3_server
from test_audit_web import outputs_csv

from hria import create_app, database, storage
from hria.domain import evidence, signing_keys
from hria.domain.models import Assessment, Evidence, FairnessAudit, Organisation
from hria.extensions import db


@pytest.fixture(scope="module")
def s3_process():
    with s3_server() as server:
        yield server


@pytest.fixture
def s3(s3_process):
    return s3_process.with_new_bucket()


def make_app(monkeypatch, instance: Path, database_url: str, **config):
    monkeypatch.setenv("HRIA_INSTANCE_PATH", str(instance))
    app = create_app({"TESTING": True, "QUEUE_IMMEDIATE": True, "DATABASE_URL": database_url, **config})
    database.upgrade(app)
    return app


@pytest.fixture
def settings(s3, monkeypatch, tmp_path):
    """Bucket settings as an administrator gives them: HRIA_* and AWS_* variables."""
    for name in ("HRIA_DATABASE_URL", "HRIA_SECRET_KEY", "HRIA_MAX_UPLOAD_MB", "HRIA_UPLOAD_FOLDER"):
        monkeypatch.delenv(name, raising=False)
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HRIA_EVIDENCE_URL", f"s3://{s3.bucket}/evidence")
    monkeypatch.setenv("HRIA_S3_ENDPOINT_URL", s3.endpoint)
    return f"sqlite:///{tmp_path / 'shared.sqlite3'}"


@pytest.fixture
def app(settings, monkeypatch, tmp_path):
    app = make_app(monkeypatch, tmp_path / "first", settings)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def second(app, settings, monkeypatch, tmp_path):
    """Another instance on the same database and bucket, with an instance folder of its own."""
    other = make_app(monkeypatch, tmp_path / "second", settings)
    yield other
    with other.app_context():
        db.engine.dispose()


def files_in(folder) -> list[str]:
    return sorted(p.name for p in Path(folder).rglob("*") if p.is_file())


def upload_outputs(client, assessment_id: int, content: bytes):
    page = client.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    return client.post(
        f"/assessments/{assessment_id}/audits/upload",
        data={"csrf_token": csrf_token(page), "file": (io.BytesIO(content), "outputs.csv")},
        content_type="multipart/form-data",
    )


def test_evidence_uploaded_on_one_instance_is_downloaded_and_audited_on_another(app, second, world, s3):
    content = outputs_csv()
    sha256 = hashlib.sha256(content).hexdigest()
    first_client = app.test_client()
    Auth(first_client).login(world.users["procurer_a"])
    response = upload_outputs(first_client, world.assessments["a"], content)
    assert response.status_code == 302, response.get_data(as_text=True)
    configure_url = response.headers["Location"]

    assert s3.keys() == [f"evidence/{sha256[:2]}/{sha256}"]
    assert (
        s3.client().get_object(Bucket=s3.bucket, Key=f"evidence/{sha256[:2]}/{sha256}")["Body"].read()
        == content
    )
    assert files_in(app.config["UPLOAD_FOLDER"]) == []  # nothing in the folder the bucket replaces
    assert files_in(second.instance_path + "/evidence-cache") == []

    other_client = second.test_client()
    Auth(other_client).login(world.users["procurer_a"])
    with second.app_context():
        evidence_id = db.session.query(Evidence.id).filter_by(sha256=sha256).scalar()
    download = other_client.get(f"/evidence/{evidence_id}/download")
    assert download.status_code == 200
    assert download.data == content
    assert download.headers["Content-Length"] == str(len(content))
    assert "filename=outputs.csv" in download.headers["Content-Disposition"]

    # the second instance maps the columns and runs the audit from its own copy of the bucket's file
    page = other_client.get(configure_url).get_data(as_text=True)
    assert "two_year_recid" in page
    data = form_fields(page)
    data.update(
        {
            "y_true": "two_year_recid",
            "y_pred": "high_risk",
            "score": "",
            "sensitive_features": ["race"],
            "min_group_size": "30",
            "confidence": "0.95",
        }
    )
    started = other_client.post(configure_url, data=data)
    assert started.status_code == 302
    with second.app_context():
        audit = db.session.get(FairnessAudit, int(started.headers["Location"].rsplit("/", 1)[1]))
        assert audit.status == "done", audit.error
        assert json.loads(audit.result)["rows"] == 2000
    assert files_in(second.instance_path + "/evidence-cache") == [sha256]


def test_a_refused_upload_leaves_nothing_in_the_bucket(app, world, s3):
    client = app.test_client()
    Auth(client).login(world.users["procurer_a"])
    response = upload_outputs(client, world.assessments["a"], b"\x00\x01\x02 not a table" * 100)
    assert response.status_code == 302
    assert "cannot be audited" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert s3.keys() == []
    with app.app_context():
        assert db.session.query(Evidence).filter(Evidence.filename == "outputs.csv").count() == 0


def test_a_file_changed_in_the_bucket_is_not_audited(app, world, s3):
    content = outputs_csv(n=200)
    sha256 = hashlib.sha256(content).hexdigest()
    with app.app_context():
        store = storage.current()
        staged = store.staging_folder() / "staged"
        staged.write_bytes(content)
        store.put(sha256, staged)
        store.local_path(sha256).unlink()  # as on a worker that never saw the upload
        s3.client().put_object(Bucket=s3.bucket, Key=f"evidence/{sha256[:2]}/{sha256}", Body=b"a,b\n1,2\n")
        with pytest.raises(storage.Unavailable, match=r"other content .* changed or damaged"):
            store.local_path(sha256)
        assert not (Path(app.instance_path) / "evidence-cache" / sha256[:2] / sha256).exists()


def test_an_unreachable_bucket_is_explained_not_a_server_error(app, world, settings, monkeypatch, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    app = make_app(monkeypatch, tmp_path / "third", settings, S3_ENDPOINT_URL=dead)
    client = app.test_client()
    Auth(client).login(world.users["procurer_a"])
    response = upload_outputs(client, world.assessments["a"], outputs_csv(n=100))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "could not be kept: the evidence store did not answer. Nothing was saved" in page
    with app.app_context():
        assert db.session.query(Evidence).filter(Evidence.filename == "outputs.csv").count() == 0
    download = client.get(f"/evidence/{world.evidence['a']}/download")
    assert download.status_code == 503
    assert "could not be read from the evidence store" in download.get_data(as_text=True)
    assert files_in(app.instance_path + "/evidence-cache") == []


@pytest.mark.parametrize("kind", ["folder", "s3"])
def test_each_store_keeps_reads_and_removes_by_digest(request, monkeypatch, tmp_path, kind):
    for name in ("HRIA_DATABASE_URL", "HRIA_EVIDENCE_URL", "HRIA_UPLOAD_FOLDER"):
        monkeypatch.delenv(name, raising=False)
    if kind == "s3":
        request.getfixturevalue("settings")
    app = make_app(monkeypatch, tmp_path / "instance", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    content = b"x" * (2 << 20) + b"end"  # more than one block
    sha256 = hashlib.sha256(content).hexdigest()
    with app.app_context():
        store = storage.current()
        assert type(store).__name__ == {"folder": "FolderStore", "s3": "S3Store"}[kind]
        assert not store.exists(sha256)
        for _ in range(2):  # the second time, the file is already there
            staged = store.staging_folder() / f"staged-{_}"
            staged.write_bytes(content)
            store.put(sha256, staged)
            assert not staged.exists()
        assert store.exists(sha256)
        assert [len(b) for b in store.iter_blocks(sha256)][-1] == 3
        assert b"".join(store.iter_blocks(sha256)) == content
        assert store.local_path(sha256).read_bytes() == content
        store.delete(sha256)
        assert not store.exists(sha256)
        with pytest.raises(storage.Missing):
            store.read_bytes(sha256)
        store.delete(sha256)  # nothing there: nothing happens
        with pytest.raises(ValueError, match="not a SHA-256"):
            store.exists("../../secret_key")
    with app.app_context():
        db.engine.dispose()


def test_the_folder_store_keeps_the_layout_of_existing_instances(monkeypatch, tmp_path):
    monkeypatch.delenv("HRIA_EVIDENCE_URL", raising=False)
    app = make_app(monkeypatch, tmp_path / "instance", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    content = b"kept before the store existed\n"
    sha256 = hashlib.sha256(content).hexdigest()
    old = Path(app.config["UPLOAD_FOLDER"]) / sha256[:2] / sha256
    old.parent.mkdir(parents=True)
    old.write_bytes(content)
    with app.app_context():
        assert evidence.read_bytes(sha256) == content
        assert evidence.path_of(sha256) == old
        db.engine.dispose()


def test_an_unknown_evidence_url_is_refused_with_what_to_set(monkeypatch, tmp_path):
    monkeypatch.setenv("HRIA_EVIDENCE_URL", "ftp://files.example/evidence")
    app = make_app(monkeypatch, tmp_path / "instance", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with pytest.raises(storage.ConfigurationError, match=r"must be an S3 URL \(s3://bucket/prefix\)"):
        storage.of(app)


def test_an_export_carries_question_evidence_read_from_the_bucket(app, second, world, s3):
    """The export is made on an instance that never saw the upload, so the file can only come from the
    bucket."""
    from hria.domain import transfer

    with app.app_context():
        assessment = db.session.get(Assessment, world.assessments["a"])
        item = evidence.store_bytes(b"policy text\n", "policy.txt", assessment, "question", None)
        db.session.commit()
        sha256 = item.sha256
    assert s3.keys() == [f"evidence/{sha256[:2]}/{sha256}"]
    with second.app_context():
        signing_keys.init_keys(db.session.query(Organisation).all())
        payload = transfer.export(db.session.get(Assessment, world.assessments["a"]))
    [carried] = payload["payload"]["assessment"]["evidence"]
    assert (carried["sha256"], base64.b64decode(carried["content"])) == (sha256, b"policy text\n")
    assert files_in(second.instance_path + "/evidence-cache") == []  # read as a stream, not cached
