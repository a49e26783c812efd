"""Registering and editing systems, starting assessments, inviting vendors."""

from conftest import form_fields, post_form

from hria.domain.models import Assessment, Invitation, System
from hria.extensions import db


def _new_system(client, world, name="Parking permit triage", **overrides):
    data = {
        "name": name,
        "purpose": "Ranks permit applications",
        "owner_id": world.orgs["city_a"],
        "vendor_id": world.orgs["vendor_a"],
        "sector": "transport",
        "automated_decisions": "y",
    }
    data.update(overrides)
    return post_form(client, "/systems/new", "/systems/new", data)


def test_procurer_registers_a_system(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    response = _new_system(client, world)
    assert response.status_code == 302
    with app.app_context():
        system = db.session.query(System).filter_by(name="Parking permit triage").one()
        assert system.owner_id == world.orgs["city_a"]
        assert system.vendor_id == world.orgs["vendor_a"]
        assert system.sector == "transport"
        assert system.automated_decisions is True
        assert response.headers["Location"] == f"/systems/{system.id}"
    assert "Parking permit triage" in client.get("/").get_data(as_text=True)


def test_procurer_cannot_register_a_system_for_another_city(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    response = _new_system(client, world, owner_id=world.orgs["city_b"])
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(System).filter_by(name="Parking permit triage").count() == 0


def test_missing_name_is_explained_and_nothing_saved(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    response = _new_system(client, world, name="")
    assert response.status_code == 200
    assert "This field is required." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(System).count() == 2


def test_double_submit_registers_once(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    page = client.get("/systems/new").get_data(as_text=True)
    data = form_fields(page)
    data.update({"name": "Twice", "owner_id": world.orgs["city_a"], "vendor_id": 0, "sector": "waste"})
    first = client.post("/systems/new", data=data)
    second = client.post("/systems/new", data=data, follow_redirects=True)
    assert first.status_code == 302
    assert "already registered: the form was sent twice" in second.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(System).filter_by(name="Twice").count() == 1


def test_stale_edit_is_refused_and_input_kept(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    url = f"/systems/{world.systems['a']}/edit"
    mine = form_fields(client.get(url).get_data(as_text=True))
    # someone else saves first
    theirs = post_form(
        client,
        url,
        url,
        {"name": "Their name", "owner_id": world.orgs["city_a"], "vendor_id": 0, "sector": "welfare"},
    )
    assert theirs.status_code == 302
    mine.update(
        {
            "name": "My name",
            "owner_id": world.orgs["city_a"],
            "vendor_id": 0,
            "sector": "welfare",
            "purpose": "my purpose",
        }
    )
    response = client.post(url, data=mine)
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this system while you were editing it" in body
    assert 'value="My name"' in body
    assert "Their name" in body
    with app.app_context():
        assert db.session.get(System, world.systems["a"]).name == "Their name"


def test_start_assessment_and_invite_vendor(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    system_url = f"/systems/{world.systems['a']}"
    response = post_form(
        client, system_url, f"{system_url}/assessments", {"stage": "deployment", "language": "zh"}
    )
    assert response.status_code == 302
    with app.app_context():
        assessment = (
            db.session.query(Assessment).filter_by(system_id=world.systems["a"], stage="deployment").one()
        )
        assert (assessment.status, assessment.language) == ("draft", "zh")
        assessment_id = assessment.id
    assert response.headers["Location"] == f"/assessments/{assessment_id}"

    auth.logout()
    auth.login(world.users["vendor_b"])
    assert client.get(f"/assessments/{assessment_id}").status_code == 404
    auth.logout()

    auth.login(world.users["procurer_a"])
    url = f"/assessments/{assessment_id}"
    invited = post_form(
        client, url, f"{url}/invitations", {"organisation_id": world.orgs["vendor_b"]}, follow_redirects=True
    )
    assert "Vendor B is invited to this assessment." in invited.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Invitation).filter_by(assessment_id=assessment_id).count() == 1
    auth.logout()

    auth.login(world.users["vendor_b"])
    assert client.get(f"/assessments/{assessment_id}").status_code == 200
    assert "Benefit scoring A" in client.get("/").get_data(as_text=True)


def test_unknown_stage_is_refused(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    system_url = f"/systems/{world.systems['a']}"
    response = post_form(
        client,
        system_url,
        f"{system_url}/assessments",
        {"stage": "teardown", "language": "en"},
        follow_redirects=True,
    )
    assert "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Assessment).filter_by(stage="teardown").count() == 0


def test_assessment_page_has_a_plain_title_and_each_section_once(client, world, auth):
    auth.login(world.users["procurer_a"])
    page = client.get(f"/assessments/{world.assessments['a']}").get_data(as_text=True)
    title = page[page.index("<title>") + 7 : page.index("</title>")]
    assert title == "Scoping · Benefit scoring A · HRIA"
    for anchor in ('id="audits"', 'id="reports"', 'id="dd-heading"', 'id="vendors-heading"'):
        assert page.count(anchor) == 1, anchor


def test_the_dashboard_shows_systems_a_page_at_a_time(app, client, world, auth):
    with app.app_context():
        owner = db.session.get(System, world.systems["a"]).owner_id
        for n in range(30):
            db.session.add(
                System(
                    name=f"Sensor {n:02d}",
                    purpose="Counts",
                    owner_id=owner,
                    sector="waste",
                    automated_decisions=False,
                )
            )
        db.session.commit()
    auth.login(world.users["procurer_a"])
    first = client.get("/").get_data(as_text=True)
    # 31 systems of City A, by name: "Benefit scoring A" first, then Sensor 00 … Sensor 23 on page 1
    assert first.count('<th scope="row"><a href="/systems/') == 25
    assert ">Sensor 23</a>" in first and ">Sensor 24</a>" not in first
    assert "Page 1 of 2 (31 systems)" in first and 'href="/?page=2" rel="next"' in first
    second = client.get("/?page=2").get_data(as_text=True)
    assert second.count('<th scope="row"><a href="/systems/') == 6 and ">Sensor 29</a>" in second
