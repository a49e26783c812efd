"""Threaded comments with notifications for the other parties."""
from hria.extensions import db
from hria.models import Notification

from conftest import form_fields


def post(client, aid, **data):
    page = client.get(f"/assessments/{aid}/comments").get_data(as_text=True)
    return client.post(f"/assessments/{aid}/comments", data={"csrf_token": form_fields(page)["csrf_token"], **data},
                       follow_redirects=True)


def test_oversight_comments_a_question_and_the_parties_are_notified(app, client, world, auth):
    aid = world.assessments["a"]
    auth.login(world.users["oversight_a"])
    posted = post(client, aid, target="question:SCO-08", body="Which organisations were consulted?")
    assert "Comment posted" in posted.get_data(as_text=True)
    auth.logout()

    auth.login(world.users["procurer_a"])
    dashboard = client.get("/").get_data(as_text=True)
    assert "New comments (1)" in dashboard and "Which organisations were consulted?" in dashboard
    page = client.get(f"/assessments/{aid}/comments").get_data(as_text=True)
    assert "SCO-08 · Have representatives of the affected people been asked" in page
    parent = int(page.split('name="parent_id" value="')[1].split('"')[0])
    post(client, aid, parent_id=str(parent), body="The welfare rights network; minutes attached to SCO-08.")
    assert "New comments" not in client.get("/").get_data(as_text=True)  # read when the page was opened
    auth.logout()

    auth.login(world.users["oversight_a"])
    page = client.get(f"/assessments/{aid}/comments").get_data(as_text=True)
    assert page.index("Which organisations were consulted?") < page.index("The welfare rights network")
    with app.app_context():
        by_user = {(n.user_id, n.comment_id) for n in db.session.query(Notification)}
        assert len(by_user) == 4  # vendor A and procurer A for the comment; vendor A and board A for the reply
    auth.logout()

    auth.login(world.users["procurer_b"])
    assert client.get(f"/assessments/{aid}/comments").status_code == 404
    assert "New comments" not in client.get("/").get_data(as_text=True)


def test_vendor_comments_only_on_the_questions_it_may_read(app, client, world, auth):
    aid = world.assessments["a"]
    auth.login(world.users["vendor_a"])
    assert post(client, aid, target="assessment", body="hello").status_code == 404
    assert post(client, aid, target="question:SCO-01", body="a buyer question").status_code == 404
    auth.logout()
    auth.login(world.users["procurer_a"])
    empty = post(client, aid, target="question:SCO-01", body="   ")
    assert "Write something before posting." in empty.get_data(as_text=True)
