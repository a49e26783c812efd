"""Administrators manage organisations, users and oversight mandates."""

import re

from conftest import post_form

from hria.domain.models import Organisation, OversightAssignment, User
from hria.extensions import db


def test_admin_creates_an_organisation_and_a_user(app, client, world, auth):
    auth.login(world.users["admin"])
    response = post_form(
        client,
        "/admin/organisations",
        "/admin/organisations",
        {"name": "Data Protection Office", "kind": "oversight"},
        follow_redirects=True,
    )
    assert "Created Data Protection Office." in response.get_data(as_text=True)
    with app.app_context():
        from hria.domain.models import Organisation

        org_id = db.session.query(Organisation).filter_by(name="Data Protection Office").one().id

    response = post_form(
        client,
        "/admin/users",
        "/admin/users",
        {"email": "Reviewer@DPO.example", "name": "Rita", "organisation_id": org_id, "role": "oversight"},
    )
    body = response.get_data(as_text=True)
    assert "shown only once" in body
    password = re.search(r"<code>([^<]+)</code>", body).group(1)
    auth.logout()
    assert auth.login("reviewer@dpo.example", password).status_code == 302


def test_role_must_fit_the_organisation(app, client, world, auth):
    auth.login(world.users["admin"])
    response = post_form(
        client,
        "/admin/users",
        "/admin/users",
        {"email": "v@x.example", "name": "", "organisation_id": world.orgs["city_a"], "role": "vendor"},
    )
    assert "A vendor cannot belong to City A, which is a public buyer" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(User).filter_by(email="v@x.example").count() == 0


def test_a_user_form_sent_without_its_name_field_is_a_form_error(app, client, world, auth):
    auth.login(world.users["admin"])
    response = post_form(
        client,
        "/admin/users",
        "/admin/users",
        {"email": "noname@x.example", "organisation_id": world.orgs["city_a"], "role": "admin"},
    )
    assert response.status_code == 200
    assert (
        "The form was sent without its Name field: reload the page and send it again."
        in response.get_data(as_text=True)
    )
    with app.app_context():
        assert db.session.query(User).filter_by(email="noname@x.example").count() == 0
    response = post_form(
        client,
        "/admin/users",
        "/admin/users",  # an empty name, as a browser sends it, is fine
        {"email": "noname@x.example", "name": "", "organisation_id": world.orgs["city_a"], "role": "admin"},
    )
    assert "shown only once" in response.get_data(as_text=True)


def test_duplicate_organisation_is_explained(client, world, auth):
    auth.login(world.users["admin"])
    response = post_form(
        client, "/admin/organisations", "/admin/organisations", {"name": "City B", "kind": "buyer"}
    )
    assert "An organisation named &#39;City B&#39; already exists." in response.get_data(as_text=True)


def test_deactivate_and_reset_password(app, client, world, auth):
    with app.app_context():
        vendor_id = db.session.query(User).filter_by(email=world.users["vendor_a"]).one().id
    auth.login(world.users["admin"])
    post_form(client, "/admin/users", f"/admin/users/{vendor_id}/active", {})
    with app.app_context():
        assert db.session.get(User, vendor_id).active is False
    response = post_form(client, "/admin/users", f"/admin/users/{vendor_id}/password", {})
    password = re.search(r"<code>([^<]+)</code>", response.get_data(as_text=True)).group(1)
    post_form(client, "/admin/users", f"/admin/users/{vendor_id}/active", {})
    auth.logout()
    assert auth.login(world.users["vendor_a"]).status_code == 401
    assert auth.login(world.users["vendor_a"], password).status_code == 302


def test_admin_cannot_deactivate_themselves(app, client, world, auth):
    with app.app_context():
        admin_id = db.session.query(User).filter_by(email=world.users["admin"]).one().id
    auth.login(world.users["admin"])
    response = post_form(client, "/admin/users", f"/admin/users/{admin_id}/active", {}, follow_redirects=True)
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)


def test_assigning_oversight_opens_the_overseen_systems(app, client, world, auth):
    auth.login(world.users["oversight_a"])
    assert client.get(f"/systems/{world.systems['b']}").status_code == 404
    auth.logout()
    auth.login(world.users["admin"])
    post_form(
        client,
        "/admin/organisations",
        "/admin/oversight",
        {"oversight_id": world.orgs["board_a"], "overseen_id": world.orgs["city_b"]},
    )
    with app.app_context():
        assert (
            db.session.query(OversightAssignment)
            .filter_by(oversight_id=world.orgs["board_a"], overseen_id=world.orgs["city_b"])
            .count()
            == 1
        )
    auth.logout()
    auth.login(world.users["oversight_a"])
    assert client.get(f"/systems/{world.systems['b']}").status_code == 200


def test_the_user_list_is_shown_a_page_at_a_time(app, client, auth, world):
    from hria.web.admin.routes import USERS_PER_PAGE

    with app.app_context():
        city = db.session.get(Organisation, world.orgs["city_a"])
        for i in range(USERS_PER_PAGE + 3):
            db.session.add(
                User(email=f"clerk{i:02d}@a.example", role="procurer", organisation=city, password_hash="x")
            )
        db.session.commit()
    auth.login(world.users["admin"])
    first = client.get("/admin/users").get_data(as_text=True)
    assert first.count('<th scope="row">') == USERS_PER_PAGE
    assert f"Page 1 of 2 ({USERS_PER_PAGE + 3 + 7} users)" in first and 'rel="next"' in first
    second = client.get("/admin/users?page=2").get_data(as_text=True)
    assert second.count('<th scope="row">') == 10 and "vendor@vb.example" in second
    assert "clerk00@a.example" in first and "clerk00@a.example" not in second
