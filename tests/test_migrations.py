"""Schema changes go through Alembic: `hria init` creates the schema and is idempotent."""
import sqlite3

from click.testing import CliRunner

from hria.cli import main
from hria.database import head_revision

HEAD = head_revision()


def _schema(path):
    with sqlite3.connect(path) as connection:
        return sorted(connection.execute("SELECT type, name, sql FROM sqlite_master").fetchall(),
                      key=lambda row: (row[0], row[1]))


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
    assert {"organisation", "user_account", "ai_system", "assessment", "event", "invitation",
            "oversight_assignment", "login_attempt", "evidence", "fairness_audit", "alembic_version"} <= tables

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
