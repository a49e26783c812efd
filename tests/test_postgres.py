"""The application on a real PostgreSQL server.

Runs when a server is reachable (HRIA_TEST_POSTGRES_URL, or the local socket);
when HRIA_TEST_POSTGRES_URL is set, an unreachable server fails the test instead of skipping it.
"""
import os
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hria import create_app, database
from hria.cli import main
from hria.extensions import db

pytestmark = pytest.mark.postgres

ADMIN_URL = os.environ.get("HRIA_TEST_POSTGRES_URL", "postgresql:///postgres?host=/var/run/postgresql")


@pytest.fixture
def postgres_url():
    try:
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect():
            pass
    except Exception as error:  # noqa: BLE001 - any failure to connect means "no server here"
        if os.environ.get("HRIA_TEST_POSTGRES_URL"):
            pytest.fail(f"PostgreSQL at HRIA_TEST_POSTGRES_URL is unreachable: {error}")
        pytest.skip(f"no PostgreSQL server reachable: {error}")
    name = f"hria_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


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
    from hria.domain import demo

    from conftest import Auth

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
