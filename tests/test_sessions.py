"""Sessions end for real: a cookie saved before signing out, a password change or an administrator's
action no longer opens anything when it is sent again."""

import re

from conftest import PASSWORD, Auth, csrf_token, post_form
from flask_login.utils import encode_cookie

from hria.domain.models import User
from hria.extensions import db


def saved_session(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "not signed in"
    return cookie.value


def replay(app, cookie_name: str, value: str):
    """Send a saved cookie from a browser that has nothing else, and ask for the dashboard."""
    other = app.test_client()
    other.set_cookie(cookie_name, value)
    return other.get("/")


def signed_in_client(app, email: str):
    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.query(User).filter_by(email=email).one().id


def test_a_session_cookie_replayed_after_sign_out_opens_nothing(app, world):
    client = signed_in_client(app, world.users["procurer_a"])
    cookie = saved_session(client)
    assert replay(app, "session", cookie).status_code == 200  # the replay itself works while signed in

    Auth(client).logout()
    response = replay(app, "session", cookie)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_signing_out_ends_the_other_sessions_of_the_user(app, world):
    laptop = signed_in_client(app, world.users["procurer_a"])
    desktop = signed_in_client(app, world.users["procurer_a"])
    colleague = signed_in_client(app, world.users["procurer_b"])
    Auth(laptop).logout()
    assert desktop.get("/").status_code == 302
    assert colleague.get("/").status_code == 200


def test_a_remember_me_cookie_follows_the_same_rule(app, world):
    client = signed_in_client(app, world.users["procurer_a"])
    with app.test_request_context():
        user = db.session.query(User).filter_by(email=world.users["procurer_a"]).one()
        remember = encode_cookie(user.get_id())  # what Flask-Login puts in a "remember me" cookie
    assert replay(app, "remember_token", remember).status_code == 200

    Auth(client).logout()
    assert replay(app, "remember_token", remember).status_code == 302


def test_changing_the_password_ends_every_other_session(app, world):
    here = signed_in_client(app, world.users["procurer_a"])
    elsewhere = signed_in_client(app, world.users["procurer_a"])
    cookie = saved_session(elsewhere)
    page = here.get("/account/password").get_data(as_text=True)
    changed = here.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(page),
            "current": PASSWORD,
            "new": "lantern orchard velvet",
            "confirm": "lantern orchard velvet",
        },
    )
    assert changed.status_code == 302
    dashboard = here.get("/")
    assert dashboard.status_code == 200
    assert "You are signed out on every other device." in dashboard.get_data(as_text=True)
    assert elsewhere.get("/").status_code == 302
    assert replay(app, "session", cookie).status_code == 302


def test_an_administrators_password_reset_ends_the_users_sessions(app, world):
    vendor = signed_in_client(app, world.users["vendor_a"])
    cookie = saved_session(vendor)
    admin = signed_in_client(app, world.users["admin"])
    vendor_id = user_id(app, world.users["vendor_a"])
    response = post_form(admin, "/admin/users", f"/admin/users/{vendor_id}/password", {})
    password = re.search(r"<code>([^<]+)</code>", response.get_data(as_text=True)).group(1)
    assert vendor.get("/").status_code == 302
    assert replay(app, "session", cookie).status_code == 302
    assert Auth(app.test_client()).login(world.users["vendor_a"], password).status_code == 302


def test_deactivating_ends_sessions_for_good_even_after_reactivation(app, world):
    vendor = signed_in_client(app, world.users["vendor_a"])
    cookie = saved_session(vendor)
    admin = signed_in_client(app, world.users["admin"])
    vendor_id = user_id(app, world.users["vendor_a"])
    post_form(admin, "/admin/users", f"/admin/users/{vendor_id}/active", {})
    assert vendor.get("/").status_code == 302
    post_form(admin, "/admin/users", f"/admin/users/{vendor_id}/active", {})
    with app.app_context():
        assert db.session.get(User, vendor_id).active is True
    assert replay(app, "session", cookie).status_code == 302


def test_sign_out_is_a_post_that_needs_the_csrf_token(app, world):
    client = signed_in_client(app, world.users["procurer_a"])
    page = client.get("/").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/logout">(.*?)</form>', page, re.S)
    assert form and 'name="csrf_token"' in form.group(1) and '<button type="submit"' in form.group(1)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # a forged sign-out did nothing
    Auth(client).logout()
    assert client.get("/").status_code == 302
