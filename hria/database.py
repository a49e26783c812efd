"""Engine settings and schema migrations (Alembic, applied programmatically)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import event, inspect, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from hria.extensions import db


def register_sqlite_pragmas() -> None:
    for name, listener in (
        ("connect", _sqlite_pragmas),
        ("begin", _sqlite_begin),
        ("before_cursor_execute", _sqlite_write_lock_before_writing),
    ):
        if not event.contains(Engine, name, listener):
            event.listen(Engine, name, listener)


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    if _is_sqlite(dbapi_connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
        # The driver would open transactions only before a write, so a read and the write that
        # depends on it could see different databases; SQLAlchemy's begin event opens them instead.
        dbapi_connection.isolation_level = None


# SQLite transactions follow PostgreSQL's READ COMMITTED in spirit: they read without blocking
# anyone, and the first write takes the database's write lock, waiting its turn (busy_timeout).
# A transaction that read before writing would otherwise fail at once when another writer
# committed in between (its snapshot is stale); it is moved onto a fresh snapshot instead.
# Code that must read and write as one step (the event chain, a section's version check)
# calls ``lock_for_write`` before it reads.
_MODE = "hria_sqlite_transaction"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


def _sqlite_begin(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")
        connection.info[_MODE] = "read"


def _sqlite_write_lock_before_writing(
    connection, cursor, statement, parameters, context, executemany
) -> None:
    if connection.info.get(_MODE) == "read" and statement.lstrip()[:7].upper().startswith(_WRITES):
        _take_sqlite_write_lock(connection)


def _driver(connection: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under a checked-out SQLAlchemy connection (never None while it is open)."""
    raw = connection.connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    return raw


def _take_sqlite_write_lock(connection: Connection) -> None:
    if connection.in_nested_transaction():
        # A savepoint cannot survive the restart; the write simply waits for the lock as it is.
        connection.info[_MODE] = "write"
        return
    raw = _driver(connection)
    raw.execute("COMMIT")  # nothing was written yet: this only lets go of the old snapshot
    try:
        raw.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        raw.execute("BEGIN")  # still inside a transaction, as SQLAlchemy believes
        raise OperationalError("BEGIN IMMEDIATE", None, error) from error
    connection.info[_MODE] = "write"


def lock_connection_for_write(connection: Connection) -> None:
    """On SQLite, hold the write lock from now on, reading the latest data (no-op elsewhere)."""
    if connection.info.get(_MODE) == "read":
        _take_sqlite_write_lock(connection)


def serialise(connection: Connection, key: int) -> None:
    """Hold, until this transaction ends, the lock named ``key``: one transaction at a time runs the step that
    follows (a PostgreSQL advisory lock; on SQLite the single write lock does it for every key)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        lock_connection_for_write(connection)


def lock_for_write(session, obj=None) -> None:
    """Make the rest of this transaction see the latest data and hold the write lock over ``obj``.

    On SQLite the whole database is locked for writing (one writer at a time); on PostgreSQL
    the row of ``obj`` is locked (``SELECT … FOR UPDATE``), other rows stay free. Call it
    before reading what a write depends on.
    """
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        lock_connection_for_write(connection)
        session.expire_all()
    elif obj is not None:
        mapper = inspect(obj).mapper
        key = mapper.primary_key[0]
        session.execute(select(key).where(key == getattr(obj, key.key)).with_for_update())
        session.expire_all()


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


def upgrade(app: Flask, target: str = "head") -> tuple[str | None, str | None]:
    """Bring the schema to ``target`` (the newest revision). Returns (revision before, revision after).

    On SQLite, changing a table means copying it, and dropping the old copy would cascade
    to the rows that refer to it; foreign keys are therefore off while migrations run and
    checked afterwards.
    """
    config = _alembic_config()
    with app.app_context(), db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # The pragma takes effect only outside a transaction, so it goes to the driver directly.
            _driver(connection).execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                before = MigrationContext.configure(connection).get_current_revision()
                config.attributes["connection"] = connection
                command.upgrade(config, target)
                after = MigrationContext.configure(connection).get_current_revision()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(
                            f"The migration left {len(broken)} rows with broken references; "
                            f"nothing was changed."
                        )
        finally:
            if sqlite:
                _driver(connection).execute("PRAGMA foreign_keys=ON")
    return before, after


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("The migrations folder holds no revision.")
    return head


def is_current(app: Flask) -> bool:
    head = head_revision()
    with app.app_context(), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head
