"""The app factory and its configuration."""

from pathlib import Path

from hria import create_app, database
from hria.domain.models import Organisation
from hria.extensions import db


def _app_at(path: Path, monkeypatch, **env):
    monkeypatch.setenv("HRIA_INSTANCE_PATH", str(path))
    for name in ("HRIA_DATABASE_URL", "HRIA_SECRET_KEY", "HRIA_MAX_UPLOAD_MB"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return create_app()


def test_instance_path_isolates_two_apps(tmp_path, monkeypatch):
    first = _app_at(tmp_path / "one", monkeypatch)
    second = _app_at(tmp_path / "two", monkeypatch)
    assert first.instance_path == str(tmp_path / "one")
    assert first.config["DATABASE_URL"].endswith(str(tmp_path / "one" / "hria.sqlite3"))
    assert first.config["UPLOAD_FOLDER"] == str(tmp_path / "one" / "uploads")
    assert second.config["KEYS_FOLDER"] == str(tmp_path / "two" / "keys")

    for app in (first, second):
        database.upgrade(app)
    with first.app_context():
        db.session.add(Organisation(name="Only in one", kind="buyer"))
        db.session.commit()
    with second.app_context():
        assert db.session.query(Organisation).count() == 0
    with first.app_context():
        assert db.session.query(Organisation).count() == 1
    assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"]


def test_missing_secret_is_generated_and_persisted(tmp_path, monkeypatch):
    app = _app_at(tmp_path, monkeypatch)
    key_file = tmp_path / "secret_key"
    assert key_file.read_text() == app.config["SECRET_KEY"]
    assert len(app.config["SECRET_KEY"]) == 64
    assert key_file.stat().st_mode & 0o077 == 0, "the secret key must be readable by its owner only"
    again = _app_at(tmp_path, monkeypatch)
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_configured_secret_is_not_written(tmp_path, monkeypatch):
    app = _app_at(tmp_path, monkeypatch, HRIA_SECRET_KEY="from-the-environment")
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_environment_overrides_instance_file(tmp_path, monkeypatch):
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "config.py").write_text("MAX_UPLOAD_MB = 7\nLOGIN_LOCK_MINUTES = 30\n")
    app = _app_at(tmp_path, monkeypatch)
    assert app.config["MAX_CONTENT_LENGTH"] == 7 * 1024 * 1024
    assert app.config["LOGIN_LOCK_MINUTES"] == 30
    app = _app_at(tmp_path, monkeypatch, HRIA_MAX_UPLOAD_MB="3")
    assert app.config["MAX_CONTENT_LENGTH"] == 3 * 1024 * 1024
    assert app.config["LOGIN_LOCK_MINUTES"] == 30


def test_database_url_from_environment(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    app = _app_at(tmp_path / "inst", monkeypatch, HRIA_DATABASE_URL=url)
    database.upgrade(app)
    assert (tmp_path / "elsewhere.db").exists()
    assert not (tmp_path / "inst" / "hria.sqlite3").exists()


def test_sqlite_runs_with_foreign_keys_and_wal(app):
    with app.app_context():
        connection = db.session.connection()
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_session_cookie_flags(app, world, auth):
    response = auth.login(world.users["procurer_a"])
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_secure_cookie_when_configured(tmp_path, monkeypatch):
    app = _app_at(tmp_path, monkeypatch, HRIA_SESSION_COOKIE_SECURE="true")
    assert app.config["SESSION_COOKIE_SECURE"] is True
