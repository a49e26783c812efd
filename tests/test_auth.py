"""Signing in: passwords, throttling, CSRF, safe redirects, deactivation."""
from hria.extensions import db
from hria.models import User

from conftest import PASSWORD, csrf_token


def test_right_password_signs_in(client, world, auth):
    response = auth.login(world.users["procurer_a"])
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Benefit scoring A" in client.get("/").get_data(as_text=True)


def test_wrong_password_rejected(client, world, auth):
    response = auth.login(world.users["procurer_a"], "not the password")
    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out


def test_unknown_email_gets_the_same_answer(world, auth):
    response = auth.login("nobody@nowhere.example", "whatever")
    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)


def test_passwords_are_stored_hashed(app, world):
    with app.app_context():
        user = db.session.query(User).filter_by(email=world.users["procurer_a"]).one()
        assert PASSWORD not in user.password_hash
        assert user.password_hash.startswith("scrypt:")


def test_sixth_attempt_is_locked_even_with_the_right_password(client, world, auth):
    for attempt in range(5):
        assert auth.login(world.users["vendor_a"], f"guess {attempt}").status_code == 401
    locked = auth.login(world.users["vendor_a"], PASSWORD)
    assert locked.status_code == 429
    assert "locked for 15 minutes" in locked.get_data(as_text=True)
    assert client.get("/").status_code == 302
    # another account from the same address is not locked by five failures
    assert auth.login(world.users["procurer_a"]).status_code == 302


def test_lock_expires(app, client, world, auth):
    from datetime import timedelta

    from hria.models import LoginAttempt

    for attempt in range(5):
        auth.login(world.users["vendor_a"], f"guess {attempt}")
    with app.app_context():
        for row in db.session.query(LoginAttempt):
            row.at -= timedelta(minutes=16)
        db.session.commit()
    assert auth.login(world.users["vendor_a"]).status_code == 302


def test_address_is_locked_after_many_failures_across_accounts(app, client, world, auth):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 6
    for attempt in range(6):
        auth.login(f"someone{attempt}@x.example", "guess")
    assert auth.login(world.users["procurer_a"]).status_code == 429


def test_post_without_csrf_token_is_refused(client, world):
    response = client.post("/login", data={"email": world.users["procurer_a"], "password": PASSWORD})
    assert response.status_code == 400
    assert "This form has expired or did not come from this site" in response.get_data(as_text=True)


def test_post_with_forged_csrf_token_is_refused(client, world, auth):
    auth.login(world.users["procurer_a"])
    response = client.post(f"/systems/{world.systems['a']}/edit",
                           data={"csrf_token": "forged", "name": "Hijacked"})
    assert response.status_code == 400


def test_next_to_another_host_is_ignored(world, auth):
    for target in ("https://evil.example/", "//evil.example/x", "http:/\\evil.example", "/\\evil.example"):
        response = auth.login(world.users["procurer_a"], next=target)
        assert response.headers["Location"] == "/", target
        auth.logout()


def test_next_on_this_site_is_followed(world, auth):
    target = f"/systems/{world.systems['a']}"
    response = auth.login(world.users["procurer_a"], next=target)
    assert response.headers["Location"] == target


def test_login_page_carries_next_from_query(client):
    page = client.get("/login?next=/systems/1").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/systems/1"' in page


def test_deactivated_user_cannot_sign_in_and_loses_the_session(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    assert client.get("/").status_code == 200
    with app.app_context():
        user = db.session.query(User).filter_by(email=world.users["procurer_a"]).one()
        user.active = False
        db.session.commit()
    assert client.get("/").status_code == 302
    response = auth.login(world.users["procurer_a"])
    assert response.status_code == 403
    assert "deactivated" in response.get_data(as_text=True)


def test_logout_needs_a_post(client, world, auth):
    auth.login(world.users["procurer_a"])
    assert client.get("/logout").status_code == 405
    auth.logout()
    assert client.get("/").status_code == 302


def test_change_password(client, world, auth):
    auth.login(world.users["procurer_a"])
    page = client.get("/account/password").get_data(as_text=True)
    wrong = client.post("/account/password", data={
        "csrf_token": csrf_token(page), "current": "nope", "new": "a much longer one", "confirm": "a much longer one"})
    assert "This is not your current password." in wrong.get_data(as_text=True)
    short = client.post("/account/password", data={
        "csrf_token": csrf_token(page), "current": PASSWORD, "new": "short", "confirm": "short"})
    assert "at least 10 characters" in short.get_data(as_text=True)
    ok = client.post("/account/password", data={
        "csrf_token": csrf_token(page), "current": PASSWORD, "new": "a much longer one", "confirm": "a much longer one"})
    assert ok.status_code == 302
    auth.logout()
    assert auth.login(world.users["procurer_a"]).status_code == 401
    assert auth.login(world.users["procurer_a"], "a much longer one").status_code == 302
