"""The application on a real PostgreSQL server.

Runs when a server is reachable (HRIA_TEST_POSTGRES_URL, or the local socket);
when HRIA_TEST_POSTGRES_URL is set, an unreachable server fails the test instead of skipping it.
"""

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from hria import create_app, database
from hria.cli import main
from hria.extensions import db

pytestmark = pytest.mark.postgres


def test_postgres_migrate_seed_verify_and_isolate(postgres_url, tmp_path, monkeypatch):
    monkeypatch.setenv("HRIA_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("HRIA_DATABASE_URL", postgres_url)
    runner = CliRunner()
    first = runner.invoke(main, ["init"])
    assert first.exit_code == 0, first.output
    assert "postgresql" in first.output and "migrated from empty to revision" in first.output
    assert "already up to date" in runner.invoke(main, ["init"]).output

    demo = runner.invoke(main, ["demo"])
    assert demo.exit_code == 0, demo.output
    verified = runner.invoke(main, ["events", "verify"])
    assert verified.exit_code == 0, verified.output
    count = int(verified.output.split("intact: ")[1].split()[0])
    assert count >= 15

    app = create_app({"TESTING": True})
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
        db.session.execute(text("UPDATE event SET actor = 'forged' WHERE seq = 5"))
        db.session.commit()
        db.engine.dispose()
    broken = runner.invoke(main, ["events", "verify"])
    assert broken.exit_code == 1
    assert "broken at event #5" in broken.output


def test_postgres_tenant_isolation(postgres_url, tmp_path, monkeypatch):
    from conftest import Auth

    from hria.domain import demo

    monkeypatch.setenv("HRIA_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("HRIA_DATABASE_URL", postgres_url)
    app = create_app({"TESTING": True})
    database.upgrade(app)
    with app.app_context():
        logins = {login.email: login.password for login in demo.seed(app.instance_path)}
    client = app.test_client()
    auth = Auth(client)
    auth.login("vendor@urbansight.example", logins["vendor@urbansight.example"])
    page = client.get("/").get_data(as_text=True)
    assert "Welfare fraud risk score" not in page
    assert client.get("/systems/1").status_code == 404
    auth.logout()
    auth.login("vendor@civic-analytics.example", logins["vendor@civic-analytics.example"])
    assert "Welfare fraud risk score" in client.get("/").get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()
