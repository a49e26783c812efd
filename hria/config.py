"""Configuration: defaults, then the instance's config.py, then HRIA_* environment variables."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

# The instance holds password hashes, signing keys and uploaded evidence: only its owner may read it.
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600

DEFAULTS = {
    "MAX_UPLOAD_MB": 50,
    # Failures of one account from one address before each further failure doubles the wait.
    "LOGIN_FREE_FAILURES": 3,
    "LOGIN_BACKOFF_SECONDS": 5,
    # An address is shared by everyone behind one office gateway, so it gets more slack.
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
    # The window of the per-address ceiling, and the longest backoff.
    "LOGIN_LOCK_MINUTES": 15,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "TRUSTED_PROXIES": 0,
    "WTF_CSRF_TIME_LIMIT": None,
    "REVIEW_MONTHS": 12,
    # Days a buyer has to respond to a grievance from the public before the oversight body sees it overdue.
    "GRIEVANCE_RESPONSE_DAYS": 30,
    # Grievances one address may send within GRIEVANCE_WINDOW_MINUTES (a shared gateway gets some slack).
    "GRIEVANCE_MAX_PER_ADDRESS": 5,
    "GRIEVANCE_WINDOW_MINUTES": 60,
    # How long a write waits for SQLite's single write lock before the user is asked to retry.
    "SQLITE_BUSY_SECONDS": 10,
    # A .ttf/.ttc font with Chinese glyphs to embed in Chinese reports; unset, the usual Debian fonts are
    # used.
    "CJK_FONT": None,
    # The task queue of audits and explanations (hria.queue): unset, a SQLite file in the instance folder
    # that `hria serve` works through itself; a redis:// URL for `hria worker` processes on any machine.
    "QUEUE_URL": None,
    # Run each job inside the request that sends it (tests that are not about the queue).
    "QUEUE_IMMEDIATE": False,
    # A worker holds a job this long unless it renews the lease, which it does every heartbeat; a job whose
    # lease ran out (its worker died) is sent again, at most QUEUE_MAX_ATTEMPTS starts in all.
    "QUEUE_LEASE_SECONDS": 60,
    "QUEUE_HEARTBEAT_SECONDS": 10,
    "QUEUE_MAX_ATTEMPTS": 3,
    # Where evidence files are kept (hria.storage): unset, UPLOAD_FOLDER in the instance folder; an
    # s3://bucket/prefix URL for a bucket every web and worker process reaches, at S3_ENDPOINT_URL when it is
    # not Amazon's (credentials: boto3's own AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
    "EVIDENCE_URL": None,
    "S3_ENDPOINT_URL": None,
    "S3_REGION": None,
    # A queued job no worker has taken after this long is sent again (the queue may have lost it).
    "QUEUE_REQUEUE_SECONDS": 600,
}

SECRET_KEY_FILE = "secret_key"


def instance_path_from_env() -> str | None:
    value = os.environ.get("HRIA_INSTANCE_PATH")
    return str(Path(value).expanduser().resolve()) if value else None


def load_config(app: Flask, test_config: dict | None) -> None:
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env(prefix="HRIA")
    else:
        app.config.from_prefixed_env(prefix="HRIA")
        app.config.from_mapping(test_config)

    instance = Path(app.instance_path)
    private_folder(instance)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _persistent_secret_key(instance / SECRET_KEY_FILE)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'hria.sqlite3'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    if app.config["DATABASE_URL"].startswith("sqlite"):
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {}).setdefault("timeout", float(app.config["SQLITE_BUSY_SECONDS"]))
    app.config["MAX_CONTENT_LENGTH"] = int(float(app.config["MAX_UPLOAD_MB"]) * 1024 * 1024)
    app.config.setdefault("UPLOAD_FOLDER", str(instance / "uploads"))
    app.config.setdefault("KEYS_FOLDER", str(instance / "keys"))
    protect_instance(app)


def protect_instance(app: Flask) -> None:
    """Create the instance's folders and SQLite file owner-only, and tighten ones made before."""
    instance = Path(app.instance_path)
    for folder in (instance, instance / "reports", app.config["UPLOAD_FOLDER"], app.config["KEYS_FOLDER"]):
        private_folder(Path(folder))
    secret_key = instance / SECRET_KEY_FILE
    if secret_key.exists():
        restrict(secret_key, PRIVATE_FILE)
    database = sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    if database is not None:
        private_sqlite_file(database)


def private_folder(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    restrict(path, PRIVATE_FOLDER)  # mkdir's mode is cut by the umask, and an old folder keeps its own


def restrict(path: Path, mode: int) -> None:
    if stat.S_IMODE(path.stat().st_mode) != mode:
        os.chmod(path, mode)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL; None for other databases and in-memory ones."""
    from sqlalchemy.engine import make_url  # here: the command line's audit never needs the database

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    if parsed.database.startswith("file:"):
        return None
    return Path(parsed.database)


def private_sqlite_file(path: Path) -> None:
    """Create the database file owner-only before SQLite does (it would make it 0644).

    SQLite gives its -wal and -shm files the mode of the database file, so they follow.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if name.exists():
            restrict(name, PRIVATE_FILE)


def _persistent_secret_key(path: Path) -> str:
    """Read the instance's secret key, creating it (readable by the owner only) on first run."""
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
