"""A vendor self-certifies a system it sells, shares it, and a buyer imports it with provenance."""

import json

from conftest import form_fields, post_form
from test_wizard import save_section

from hria.domain.models import Answer, Assessment, Event, System
from hria.extensions import db


def post(client, page_url, action, **data):
    return post_form(client, page_url, action, data, follow_redirects=True)


def test_self_certification_shared_and_imported(app, client, world, auth):
    auth.login(world.users["vendor_a"])
    created = post(
        client,
        "/systems/new",
        "/systems/new",
        name="FraudSense 3",
        purpose="Risk scores for benefits",
        owner_id=str(world.orgs["vendor_a"]),
        vendor_id="0",
        sector="welfare",
        automated_decisions="y",
    )
    assert "Registered “FraudSense 3”" in created.get_data(as_text=True)
    with app.app_context():
        system_id = db.session.query(System).filter_by(name="FraudSense 3").one().id
    started = post(
        client,
        f"/systems/{system_id}",
        f"/systems/{system_id}/assessments",
        stage="procurement",
        language="en",
    )
    aid = int(started.request.path.rsplit("/", 1)[1])
    # self-certifying, the vendor answers the whole bank, buyer questions included
    save_section(client, aid, "tender", {"PRO-01": "yes", "PRO-02": "yes", "PRO-03": "yes"})
    save_section(client, aid, "openness", {"PRO-11": "yes", "PRO-12": "partly"})
    assert client.get(f"/assessments/{aid}/risks").status_code == 200
    own = client.get(f"/assessments/{aid}").get_data(as_text=True)
    assert "<h1>Vendor self-certification" in own and "Procurement assessment</h1>" not in own
    assert "Invited vendors" not in own  # the vendor certifies its own product: nobody to invite
    token = form_fields(own)["csrf_token"]
    refused = client.post(
        f"/assessments/{aid}/invitations",
        data={"csrf_token": token, "organisation_id": world.orgs["vendor_b"]},
    )
    assert refused.status_code == 403
    shared = post(
        client, f"/assessments/{aid}", f"/assessments/{aid}/shares", organisation_id=str(world.orgs["city_b"])
    )
    assert "Shared with City B" in shared.get_data(as_text=True)
    auth.logout()

    auth.login(world.users["procurer_a"])  # not shared with City A
    assert client.get(f"/assessments/{aid}").status_code == 404
    auth.logout()

    auth.login(world.users["procurer_b"])
    page = client.get(f"/assessments/{aid}").get_data(as_text=True)
    assert "Import as the start of our procurement assessment" in page
    assert "Save and continue" not in client.get(f"/assessments/{aid}/sections/tender").get_data(as_text=True)
    imported = post(client, f"/assessments/{aid}", f"/assessments/{aid}/import")
    assert "5 answers carried over from Vendor A" in imported.get_data(as_text=True)
    new_id = int(imported.request.path.rsplit("/", 1)[1])
    # two systems of one name on the dashboard, each saying which it is and linking the other
    with app.app_context():
        own_system_id = db.session.get(Assessment, new_id).system_id
    dashboard = client.get("/").get_data(as_text=True)
    assert dashboard.count(">FraudSense 3</a>") == 2
    assert (
        f'Self-certification shared by Vendor A; imported into <a href="/systems/{own_system_id}">your '
        "FraudSense 3</a>" in dashboard
    )
    assert "Yours, started from Vendor A\N{RIGHT SINGLE QUOTATION MARK}s self-certification" in dashboard
    section = client.get(f"/assessments/{new_id}/sections/tender").get_data(as_text=True)
    assert "Carried over from Vendor A&#39;s self-certification" in section
    save_section(
        client,
        new_id,
        "tender",
        {"PRO-01": "yes", "PRO-02": "yes", "PRO-03": "yes", "PRO-05": "no"},
        button="save",
    )
    with app.app_context():
        new = db.session.get(Assessment, new_id)
        assert new.imported_from_id == aid and new.system.owner_id == world.orgs["city_b"]
        assert new.system.vendor_id == world.orgs["vendor_a"]
        provenance = {
            a.question_id: a.carried_from for a in db.session.query(Answer).filter_by(assessment_id=new_id)
        }
        assert provenance["PRO-11"].startswith("Vendor A's self-certification")
        assert provenance["PRO-01"] is None  # confirmed by the buyer's save
        event = db.session.query(Event).filter_by(action="import", object_id=new_id).one()
        assert json.loads(event.after)["imported_from"] == aid


def test_reassessment_starts_from_the_previous_answers(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    save_section(
        client, world.assessments["a"], "purpose", {"SCO-02": "yes", "SCO-03": "advice"}, button="save"
    )
    url = f"/systems/{world.systems['a']}"
    started = post(client, url, f"{url}/assessments", stage="scoping", language="en")
    assert "2 answers were carried over from earlier assessments" in started.get_data(as_text=True)
    new_id = int(started.request.path.rsplit("/", 1)[1])
    with app.app_context():
        rows = {a.question_id: a for a in db.session.query(Answer).filter_by(assessment_id=new_id)}
        assert json.loads(rows["SCO-03"].value) == "advice"
        assert rows["SCO-03"].carried_from.startswith("the scoping assessment of")
