"""Who may move an assessment between its states, decided in one place; each move is in the trail."""

import itertools

import pytest
from conftest import answer_everything, form_fields

from hria.domain import workflow
from hria.domain.models import Assessment, Event, User
from hria.domain.vocabulary import ASSESSMENT_STATUSES
from hria.extensions import db

ALLOWED = {  # (role key, transition) pairs that may happen on city A's assessment, from a suitable state
    ("procurer_a", "submit"),
    ("oversight_a", "start_review"),
    ("oversight_a", "approve"),
    ("oversight_a", "approve_with_conditions"),
    ("oversight_a", "request_changes"),
    ("oversight_a", "reject"),
    ("admin", "reopen"),
}
ROLES = ["admin", "procurer_a", "procurer_b", "vendor_a", "oversight_a", "oversight_b"]
STATUSES = [
    "draft",
    "in_progress",
    "submitted",
    "under_review",
    "approved",
    "approved_with_conditions",
    "changes_requested",
    "rejected",
]
MOVES = {  # transition: (the states it starts from, the state it leads to)
    "submit": ({"draft", "in_progress", "changes_requested"}, "submitted"),
    "start_review": ({"submitted"}, "under_review"),
    "approve": ({"under_review"}, "approved"),
    "approve_with_conditions": ({"under_review"}, "approved_with_conditions"),
    "request_changes": ({"under_review"}, "changes_requested"),
    "reject": ({"under_review"}, "rejected"),
    "reopen": (
        {"submitted", "under_review", "approved", "approved_with_conditions", "rejected"},
        "in_progress",
    ),
}


def test_every_forbidden_transition_is_refused(app, world):
    with app.app_context():
        users = {key: db.session.query(User).filter_by(email=world.users[key]).one() for key in ROLES}
        answer_everything(world.assessments["a"])
        assessment = db.session.get(Assessment, world.assessments["a"])
        for status, key, role in itertools.product(STATUSES, MOVES, ROLES):
            sources, target = MOVES[key]
            assessment.status = status
            if (role, key) in ALLOWED and status in sources:
                workflow.apply(users[role], assessment, key, condition_texts=["Audit the outputs first."])
                assert assessment.status == target
            else:
                with pytest.raises(workflow.TransitionError):
                    workflow.apply(users[role], assessment, key)
                assert assessment.status == status
        db.session.rollback()
    # a status or a step added to the code needs its row above
    assert list(ASSESSMENT_STATUSES.keys) == STATUSES and set(workflow.TRANSITIONS) == set(MOVES)


def post_transition(client, assessment_id, key, comment=""):
    page = client.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    return client.post(
        f"/assessments/{assessment_id}/transitions/{key}",
        data={"csrf_token": form_fields(page)["csrf_token"], "comment": comment},
        follow_redirects=True,
    )


def test_review_round_through_the_web_with_comments_in_the_trail(app, client, world, auth, finished):
    aid = world.assessments["a"]
    finished(aid)
    auth.login(world.users["procurer_a"])
    assert "The assessment is now submitted." in post_transition(client, aid, "submit").get_data(as_text=True)
    auth.logout()
    auth.login(world.users["oversight_a"])
    post_transition(client, aid, "start_review")
    body = post_transition(client, aid, "request_changes", "Consult the advice centres first.").get_data(
        as_text=True
    )
    assert "The assessment is now changes requested." in body
    auth.logout()
    auth.login(world.users["procurer_a"])
    # changes requested: the procurer can answer again
    assert "Save and continue" in client.get(f"/assessments/{aid}/sections/purpose").get_data(as_text=True)
    post_transition(client, aid, "submit")
    auth.logout()
    auth.login(world.users["oversight_a"])
    post_transition(client, aid, "start_review")
    post_transition(client, aid, "approve", "Approved for the tender.")
    auth.logout()
    auth.login(world.users["procurer_a"])
    page = client.get(f"/assessments/{aid}/sections/purpose").get_data(as_text=True)
    assert "Save and continue" not in page  # approved: read-only
    refused = post_transition(client, aid, "submit")
    assert refused.status_code == 403
    with app.app_context():
        steps = [
            (e.action, e.comment)
            for e in db.session.query(Event).filter(Event.action.like("transition:%")).order_by(Event.seq)
        ]
    assert steps == [
        ("transition:submit", ""),
        ("transition:start_review", ""),
        ("transition:request_changes", "Consult the advice centres first."),
        ("transition:submit", ""),
        ("transition:start_review", ""),
        ("transition:approve", "Approved for the tender."),
    ]
    from click.testing import CliRunner

    from hria.cli import main

    assert CliRunner().invoke(main, ["events", "verify"]).exit_code == 0
