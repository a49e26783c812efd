"""Schema changes go through Alembic: `hria init` creates the schema and is idempotent."""

import sqlite3

from click.testing import CliRunner

import questionnaires
from hria.cli import main
from hria.database import head_revision

HEAD = head_revision()


def _schema(path):
    with sqlite3.connect(path) as connection:
        return sorted(
            connection.execute("SELECT type, name, sql FROM sqlite_master").fetchall(),
            key=lambda row: (row[0], row[1]),
        )


def test_init_creates_schema_and_is_idempotent(tmp_path, monkeypatch):
    monkeypatch.setenv("HRIA_INSTANCE_PATH", str(tmp_path / "fresh"))
    monkeypatch.delenv("HRIA_DATABASE_URL", raising=False)
    runner = CliRunner()

    first = runner.invoke(main, ["init"])
    assert first.exit_code == 0, first.output
    assert f"migrated from empty to revision {HEAD}" in first.output
    db_file = tmp_path / "fresh" / "hria.sqlite3"
    schema = _schema(db_file)
    tables = {name for kind, name, _ in schema if kind == "table"}
    assert {
        "organisation",
        "user_account",
        "ai_system",
        "assessment",
        "event",
        "invitation",
        "oversight_assignment",
        "login_attempt",
        "evidence",
        "fairness_audit",
        "alembic_version",
    } <= tables

    second = runner.invoke(main, ["init"])
    assert second.exit_code == 0, second.output
    assert f"already up to date (revision {HEAD})" in second.output
    assert _schema(db_file) == schema
    with sqlite3.connect(db_file) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]


def test_commands_refuse_an_uninitialised_database(tmp_path, monkeypatch):
    monkeypatch.setenv("HRIA_INSTANCE_PATH", str(tmp_path / "empty"))
    result = CliRunner().invoke(main, ["events", "verify"])
    assert result.exit_code == 1
    assert "run `hria init` first" in result.output


def test_migrations_keep_the_rows_of_every_table(tmp_path, monkeypatch):
    """Upgrading a populated database loses nothing, though SQLite copies tables to change them."""
    from hria import create_app, database

    monkeypatch.setenv("HRIA_INSTANCE_PATH", str(tmp_path / "old"))
    monkeypatch.delenv("HRIA_DATABASE_URL", raising=False)
    app = create_app()
    database.upgrade(app, "0002")
    db_file = tmp_path / "old" / "hria.sqlite3"
    with sqlite3.connect(db_file) as connection:
        connection.executescript("""
            INSERT INTO organisation (id, name, kind, created_at) VALUES (1, 'City', 'buyer', '2026-01-01'),
                (2, 'Vendor', 'vendor', '2026-01-01');
            INSERT INTO ai_system (id, name, purpose, owner_id, vendor_id, sector, automated_decisions,
            created_at,
                updated_at) VALUES (1, 'Scoring', '', 1, 2, 'welfare', 1, '2026-01-01', '2026-01-01');
            INSERT INTO assessment (id, system_id, stage, status, language, created_at, updated_at)
                VALUES (1, 1, 'scoping', 'draft', 'en', '2026-01-01', '2026-01-01');
            INSERT INTO invitation (id, assessment_id, organisation_id, created_at) VALUES (1, 1, 2,
            '2026-01-01'); INSERT INTO evidence (id, assessment_id, purpose, filename, sha256, size,
            uploaded_at)
                VALUES (1, 1, 'model_outputs', 'a.csv', 'ab', 2, '2026-01-01');
        """)
    before, after = database.upgrade(app)
    assert (before, after) == ("0002", HEAD)
    with sqlite3.connect(db_file) as connection:
        assert connection.execute("SELECT count(*) FROM invitation").fetchone() == (1,)
        assert connection.execute("SELECT count(*) FROM evidence").fetchone() == (1,)
        # an assessment from before banks were pinned is pinned to the bank current at the upgrade
        pinned = connection.execute(
            "SELECT question_bank.sha256 FROM assessment JOIN question_bank "
            "ON question_bank.id = assessment.bank_id"
        ).fetchall()
        assert pinned == [(questionnaires.load_bank()["sha256"],)]
    from hria.extensions import db

    with app.app_context():
        assert db.session.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_models_and_migrations_agree(app):
    """A model change without its migration would show up here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from hria.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), db.metadata) == []
