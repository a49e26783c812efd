"""Errors get friendly pages and never a stack trace."""

import pytest

from hria import create_app, database


def test_not_found_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "There is nothing here, or it is not yours to see." in body
    assert "Traceback" not in body


def test_too_large_upload_gets_413_page(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/login", data={"email": "a@b.example", "password": "x" * 4096})
    assert response.status_code == 413
    assert "Uploads may be at most" in response.get_data(as_text=True)


@pytest.fixture
def failing_app(tmp_path, monkeypatch):
    monkeypatch.setenv("HRIA_INSTANCE_PATH", str(tmp_path))
    app = create_app({"TESTING": False, "PROPAGATE_EXCEPTIONS": False})
    database.upgrade(app)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    return app


def test_unexpected_error_gets_500_page_without_details(failing_app):
    response = failing_app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong on our side" in body
    assert "secret internal detail" not in body
    assert "Traceback" not in body
