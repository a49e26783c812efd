"""Threaded comments with notifications for the other parties; each thread is read by those who read its
object."""

import pytest
from conftest import csrf_token, form_fields
from parties import BUYER_QUESTION, VENDOR_QUESTION, build

from hria.domain.models import Comment, Notification, User
from hria.extensions import db


def post(client, aid, **data):
    page = client.get(f"/assessments/{aid}/comments").get_data(as_text=True)
    return client.post(
        f"/assessments/{aid}/comments",
        data={"csrf_token": form_fields(page)["csrf_token"], **data},
        follow_redirects=True,
    )


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
        # procurer A for the comment, board A for the reply; not vendor A: SCO-08 is the buyer's question
        assert len(by_user) == 2
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


@pytest.fixture
def parties(app, world, tmp_path):
    return build(app, world, tmp_path / "reports")


def send(client, aid, **data):
    """Post to a comments page without opening it first (it may answer 404 to this user)."""
    token = csrf_token(client.get("/").get_data(as_text=True))
    return client.post(f"/assessments/{aid}/comments", data={"csrf_token": token, **data})


def _count(app, model, **where) -> int:
    with app.app_context():
        return db.session.query(model).filter_by(**where).count()


def _user_id(app, email) -> int:
    with app.app_context():
        return db.session.query(User.id).filter_by(email=email).scalar()


def test_vendor_is_notified_only_of_comments_it_may_read(app, client, world, auth, parties):
    vendor = _user_id(app, world.users["vendor_a"])
    auth.login(world.users["procurer_a"])
    for target, body in (
        (f"question:{BUYER_QUESTION}", "Our budget ceiling is 2 million"),
        ("assessment", "Internal: we prefer the other bidder"),
        (f"question:{VENDOR_QUESTION}", "Please attach the disparity tests"),
        ("vendors", "Welcome to the procurement assessment"),
    ):
        assert "Comment posted" in post(client, parties.assessment, target=target, body=body).get_data(
            as_text=True
        )
    auth.logout()
    with app.app_context():
        notified = {n.comment.body for n in db.session.query(Notification).filter_by(user_id=vendor)}
    assert notified == {"Please attach the disparity tests", "Welcome to the procurement assessment"}
    auth.login(world.users["vendor_a"])
    dashboard = client.get("/").get_data(as_text=True)
    assert "New comments (2)" in dashboard
    assert "budget ceiling" not in dashboard and "other bidder" not in dashboard
    page = client.get(f"/assessments/{parties.assessment}/comments").get_data(as_text=True)
    assert "Please attach the disparity tests" in page and "Welcome to the procurement assessment" in page
    assert "budget ceiling" not in page and "other bidder" not in page


def test_dashboard_never_shows_a_notification_of_a_comment_the_user_may_not_read(
    app, client, world, auth, parties
):
    """A notification made before the rule (or before an access narrowed) is not shown, nor its text."""
    with app.app_context():
        vendor = db.session.query(User).filter_by(email=world.users["vendor_a"]).one()
        for key in ("buyer_thread", "buyer_question", "finding", "vendor_question"):
            db.session.add(Notification(user_id=vendor.id, comment_id=parties.comments[key]))
        db.session.commit()
    auth.login(world.users["vendor_a"])
    dashboard = client.get("/").get_data(as_text=True)
    assert "New comments (1)" in dashboard
    assert parties.bodies["vendor_question"] in dashboard
    for key in ("buyer_thread", "buyer_question", "finding"):
        assert parties.bodies[key] not in dashboard


@pytest.mark.parametrize(
    "target",
    ["assessment", f"question:{BUYER_QUESTION}", "finding:1", "action:1", "question:NOPE-1", "somewhere"],
)
def test_vendor_cannot_post_where_it_may_not_read(app, client, world, auth, parties, target):
    auth.login(world.users["vendor_a"])
    before = _count(app, Comment)
    assert send(client, parties.assessment, target=target, body="a vendor remark").status_code == 404
    assert _count(app, Comment) == before


def test_vendor_cannot_reply_to_a_thread_it_may_not_read(app, client, world, auth, parties):
    auth.login(world.users["vendor_a"])
    before = _count(app, Comment)
    for key in ("buyer_thread", "buyer_question", "buyer_question_reply", "finding", "action"):
        response = send(
            client, parties.assessment, parent_id=str(parties.comments[key]), body="a vendor reply"
        )
        assert response.status_code == 404, key
    assert _count(app, Comment) == before
    reply = send(
        client, parties.assessment, parent_id=str(parties.comments["vendor_question"]), body="Attached."
    )
    assert reply.status_code == 302
    assert _count(app, Comment, parent_id=parties.comments["vendor_question"]) == 1


@pytest.mark.parametrize(
    "parent_id, status",
    [
        ("abc", 400),
        ("-1", 400),
        ("1.5", 400),
        ("１２", 400),
        (str(2**63), 404),
        (str(2**64), 404),
        ("9" * 5000, 404),
        ("999999", 404),
    ],
)
def test_malformed_or_unknown_parent_ids_are_refused(app, client, world, auth, parties, parent_id, status):
    auth.login(world.users["procurer_a"])
    before = _count(app, Comment)
    response = send(client, parties.assessment, parent_id=parent_id, body="a reply")
    assert response.status_code == status
    assert "Traceback" not in response.get_data(as_text=True)
    assert _count(app, Comment) == before


def test_a_reply_is_never_attached_across_assessments(app, client, world, auth, parties):
    auth.login(world.users["procurer_a"])
    other = post(client, world.assessments["a"], target="question:SCO-08", body="On the scoping stage")
    assert "Comment posted" in other.get_data(as_text=True)
    with app.app_context():
        readable_elsewhere = (
            db.session.query(Comment.id).filter_by(assessment_id=world.assessments["a"]).scalar()
        )
    before = _count(app, Comment)
    for parent in (readable_elsewhere, parties.comments["shared_thread"]):
        assert send(client, parties.assessment, parent_id=str(parent), body="a reply").status_code == 404
    assert _count(app, Comment) == before


def test_a_reply_to_a_reply_joins_the_thread_of_its_first_comment(app, client, world, auth, parties):
    auth.login(world.users["oversight_a"])
    response = send(
        client,
        parties.assessment,
        parent_id=str(parties.comments["buyer_question_reply"]),
        body="Then attach the clause itself.",
    )
    assert response.status_code == 302
    with app.app_context():
        reply = db.session.query(Comment).filter_by(body="Then attach the clause itself.").one()
        assert (reply.parent_id, reply.target) == (
            parties.comments["buyer_question"],
            f"question:{BUYER_QUESTION}",
        )
    assert "Then attach the clause itself." in client.get(
        f"/assessments/{parties.assessment}/comments"
    ).get_data(as_text=True)


def test_a_buyer_reading_a_shared_self_certification_reads_none_of_the_vendors_discussion(
    app, client, world, auth, parties
):
    auth.login(world.users["procurer_a"])
    assessment_page = client.get(f"/assessments/{parties.shared}")
    assert assessment_page.status_code == 200
    assert f"/assessments/{parties.shared}/comments" not in assessment_page.get_data(as_text=True)
    assert client.get(f"/assessments/{parties.shared}/comments").status_code == 404
    before = _count(app, Comment)
    assert send(client, parties.shared, target="assessment", body="From the buyer").status_code == 404
    assert (
        send(client, parties.shared, parent_id=str(parties.comments["shared_thread"]), body="x").status_code
        == 404
    )
    assert _count(app, Comment) == before
