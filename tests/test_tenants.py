"""Each user sees only what belongs to them: everything else answers 404, on every view and action."""
import pytest

from conftest import csrf_token

OBJECT_ARGS = {"system_id": "systems", "assessment_id": "assessments", "audit_id": "audits", "evidence_id": "evidence"}

# Which city's objects each role may see, and which it may not.
OUTSIDERS = {
    "procurer_a": "b", "procurer_b": "a",
    "vendor_a": "b", "vendor_b": "a",
    "oversight_a": "b", "oversight_b": "a",
}


def object_routes(app):
    """Every route that takes a system or assessment id, with each of its methods."""
    for rule in app.url_map.iter_rules():
        args = set(rule.arguments) & set(OBJECT_ARGS)
        if not args:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


# Valid values for the other parts of a URL, so that only the object's owner decides the answer.
OTHER_ARGS = {"section_key": "purpose", "question_id": "SCO-02", "action_id": "1", "key": "submit"}


def _build(rule, values):
    url = rule.rule
    for name, value in OTHER_ARGS.items():
        url = url.replace(f"<{name}>", value).replace(f"<int:{name}>", value)
    for name, value in values.items():
        url = url.replace(f"<int:{name}>", str(value))
    return url


def test_there_are_object_routes_to_check(app):
    routes = list(object_routes(app))
    assert len(routes) >= 9
    assert any(method == "POST" for _, method in routes)


@pytest.mark.parametrize("user_key", sorted(OUTSIDERS))
def test_objects_of_other_organisations_answer_404(app, client, world, auth, user_key):
    auth.login(world.users[user_key])
    token = csrf_token(client.get("/").get_data(as_text=True))
    foreign = OUTSIDERS[user_key]
    checked = 0
    for rule, method in object_routes(app):
        url = _build(rule, {a: getattr(world, OBJECT_ARGS[a])[foreign] for a in rule.arguments if a in OBJECT_ARGS})
        if method == "GET":
            response = client.get(url)
        else:
            response = client.open(url, method=method, data={"csrf_token": token, "name": "x", "stage": "scoping"})
        body = response.get_data(as_text=True)
        assert response.status_code == 404, f"{user_key} {method} {url} gave {response.status_code}"
        assert "Benefit scoring" not in body, f"{user_key} {method} {url} leaked the object"
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("user_key", sorted(OUTSIDERS))
def test_dashboard_lists_only_own_systems(client, world, auth, user_key):
    auth.login(world.users[user_key])
    page = client.get("/").get_data(as_text=True)
    own, foreign = user_key[-1], OUTSIDERS[user_key]
    assert f"Benefit scoring {own.upper()}" in page
    assert f"Benefit scoring {foreign.upper()}" not in page


@pytest.mark.parametrize("user_key", ["vendor_a", "oversight_a"])
def test_visible_but_not_editable_answers_403(client, world, auth, user_key):
    auth.login(world.users[user_key])
    assert client.get(f"/systems/{world.systems['a']}").status_code == 200
    assert client.get(f"/assessments/{world.assessments['a']}").status_code == 200
    assert client.get(f"/systems/{world.systems['a']}/edit").status_code == 403
    # vendors register the systems they sell (to self-certify them); oversight bodies register none
    assert client.get("/systems/new").status_code == (200 if user_key == "vendor_a" else 403)


def test_vendor_sees_only_invited_assessments(app, client, world, auth):
    from hria.extensions import db
    from hria.models import Assessment

    with app.app_context():
        uninvited = Assessment(system_id=world.systems["a"], stage="deployment", status="draft", language="en")
        db.session.add(uninvited)
        db.session.commit()
        uninvited_id = uninvited.id
    auth.login(world.users["vendor_a"])
    assert client.get(f"/assessments/{uninvited_id}").status_code == 404
    system_page = client.get(f"/systems/{world.systems['a']}").get_data(as_text=True)
    assert f"/assessments/{world.assessments['a']}" in system_page
    assert f"/assessments/{uninvited_id}" not in system_page


def test_admin_pages_answer_404_to_everyone_else(client, world, auth):
    for user_key in OUTSIDERS:
        auth.login(world.users[user_key])
        token = csrf_token(client.get("/").get_data(as_text=True))
        for url in ("/admin/organisations", "/admin/users"):
            assert client.get(url).status_code == 404, (user_key, url)
        for url in ("/admin/users/1/active", "/admin/users/1/password", "/admin/oversight"):
            assert client.post(url, data={"csrf_token": token}).status_code == 404, (user_key, url)
        auth.logout()


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    response = client.get(f"/systems/{world.systems['a']}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
