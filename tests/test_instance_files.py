"""The instance folder holds password hashes, keys and evidence: only its owner can read any of it."""

import os
import sqlite3
import stat
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from hria import create_app, database
from hria.extensions import db


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def umask(value: int):
    """The permissive umask most systems start with; what we set must not depend on it."""
    previous = os.umask(value)
    try:
        yield
    finally:
        os.umask(previous)


def make_app(instance: Path, monkeypatch):
    for name in ("HRIA_DATABASE_URL", "HRIA_SECRET_KEY", "HRIA_UPLOAD_FOLDER", "HRIA_KEYS_FOLDER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HRIA_INSTANCE_PATH", str(instance))
    return create_app({"TESTING": True})


def test_a_new_instance_is_private(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    with umask(0o022):
        app = make_app(instance, monkeypatch)
        database.upgrade(app)
        with app.app_context():
            db.session.execute(text("SELECT count(*) FROM user_account"))  # holds the -wal and -shm open
            found = {
                name: oct(mode(instance / name))
                for name in (
                    "",
                    "uploads",
                    "keys",
                    "reports",
                    "secret_key",
                    "hria.sqlite3",
                    "hria.sqlite3-wal",
                    "hria.sqlite3-shm",
                )
            }
            db.session.rollback()
            db.engine.dispose()
    assert found == {
        "": "0o700",
        "uploads": "0o700",
        "keys": "0o700",
        "reports": "0o700",
        "secret_key": "0o600",
        "hria.sqlite3": "0o600",
        "hria.sqlite3-wal": "0o600",
        "hria.sqlite3-shm": "0o600",
    }


def test_an_existing_instance_is_made_private_at_start(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    (instance / "uploads").mkdir(parents=True)
    database_file = instance / "hria.sqlite3"
    with sqlite3.connect(database_file) as connection:
        connection.execute("CREATE TABLE t (x)")
    (instance / "secret_key").write_text("0" * 64)
    for path, loose in (
        (instance, 0o755),
        (instance / "uploads", 0o775),
        (database_file, 0o644),
        (instance / "secret_key", 0o644),
    ):
        os.chmod(path, loose)
    with umask(0o022):
        app = make_app(instance, monkeypatch)
    with app.app_context():
        db.engine.dispose()
    assert [
        oct(mode(p)) for p in (instance, instance / "uploads", database_file, instance / "secret_key")
    ] == ["0o700", "0o700", "0o600", "0o600"]
    with sqlite3.connect(database_file) as connection:  # the data is untouched
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == [("t",)]


def test_uploaded_evidence_and_issued_reports_are_private(app, world):
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    from hria.domain import evidence, reporting
    from hria.domain.models import Assessment

    with umask(0o022), app.app_context():
        _, report = reporting.store(b"%PDF-1.7 a report")
        upload = FileStorage(BytesIO(b"y,p,g\n1,0,a\n0,1,b\n"), filename="outputs.csv")
        record = evidence.store(
            upload, db.session.get(Assessment, world.assessments["a"]), "model_outputs", None
        )
        kept = evidence.path_of(record.sha256)
        db.session.commit()  # a report file is written when its registration commits
    assert [oct(mode(report)), oct(mode(kept))] == ["0o600", "0o600"]
