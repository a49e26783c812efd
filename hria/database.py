"""Engine settings and schema migrations (Alembic, applied programmatically)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db


def register_sqlite_pragmas() -> None:
    if not event.contains(Engine, "connect", _sqlite_pragmas):
        event.listen(Engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def migrations_folder() -> Path:
    """The Alembic scripts: inside the installed package, or at the top of a checkout."""
    installed = Path(__file__).resolve().parent / "migrations"
    if (installed / "env.py").exists():
        return installed
    return Path(__file__).resolve().parent.parent / "migrations"


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_folder()))
    return config


def upgrade(app: Flask, target: str = "head") -> tuple[str | None, str]:
    """Bring the schema to ``target`` (the newest revision). Returns (revision before, revision after).

    On SQLite, changing a table means copying it, and dropping the old copy would cascade
    to the rows that refer to it; foreign keys are therefore off while migrations run and
    checked afterwards.
    """
    config = _alembic_config()
    with app.app_context():
        with db.engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()  # the pragma takes effect only outside a transaction
            try:
                with connection.begin():
                    before = MigrationContext.configure(connection).get_current_revision()
                    config.attributes["connection"] = connection
                    command.upgrade(config, target)
                    after = MigrationContext.configure(connection).get_current_revision()
                    if sqlite:
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise RuntimeError(f"The migration left {len(broken)} rows with broken references; "
                                               f"nothing was changed.")
            finally:
                if sqlite:
                    connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                    connection.commit()
    return before, after


def head_revision() -> str:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def is_current(app: Flask) -> bool:
    head = head_revision()
    with app.app_context():
        with db.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision() == head
