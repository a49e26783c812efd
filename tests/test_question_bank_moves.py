"""Bank versions are first-class: an assessment stays on the bank it started with until its owner moves it;
moving carries the answers whose questions survive, names the new and the removed questions, and the trail
keeps every answer that did not carry over."""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

import questionnaires
from hria.cli import main
from hria.domain import bank_moves, questions
from hria.domain.models import Answer, Assessment, Event, Invitation, User
from hria.extensions import db
from tests.conftest import post_form

EARLIER = "2026.1"
NEW_IN_SCOPING = [
    "SCO-17",
    "SCO-18",
    "SCO-19",
    "SCO-20",
    "SCO-21",
    "SCO-22",
    "SCO-23",
    "SCO-24",
    "SCO-25",
    "SCO-26",
    "SCO-27",
    "SCO-28",
]
GIVEN = {"SCO-01": "To find fraud in benefit claims.", "SCO-04": "yes", "SCO-07": ["older", "low_income"]}


def _on_earlier_bank(app, world, answers: dict, status: str = "in_progress") -> int:
    """An assessment of City A's system started on bank 2026.1, with ``answers``; Vendor A is invited."""
    with app.app_context():
        procurer = db.session.query(User).filter_by(email=world.users["procurer_a"]).one()
        assessment = Assessment(system_id=world.systems["a"], stage="scoping", status=status, language="en")
        questions.pin(db.session, assessment, questionnaires.load_version(EARLIER))
        db.session.add(assessment)
        db.session.add(Invitation(assessment=assessment, organisation_id=world.orgs["vendor_a"]))
        db.session.flush()
        for qid, value in answers.items():
            db.session.add(
                Answer(
                    assessment_id=assessment.id,
                    question_id=qid,
                    value=json.dumps(value),
                    answered_by_id=procurer.id,
                )
            )
        db.session.commit()
        return assessment.id


def _state(app, assessment_id: int) -> tuple[str, dict]:
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        return questions.bank_for(assessment)["version"], questions.answers_of(assessment)


def _move_events(app, assessment_id: int) -> list[Event]:
    with app.app_context():
        rows = db.session.query(Event).filter_by(action="move_bank", object_id=assessment_id).all()
        db.session.expunge_all()
        return rows


def test_an_assessment_stays_on_its_bank_until_the_owner_moves_it(app, world, client, auth):
    assessment_id = _on_earlier_bank(app, world, GIVEN)
    page_url = f"/assessments/{assessment_id}"
    assert _state(app, assessment_id) == (EARLIER, GIVEN)

    auth.login(world.users["procurer_a"])
    page = client.get(page_url).get_data(as_text=True)
    assert "Move to question bank 2026.2" in page
    assert f"adds 12 new questions ({', '.join(NEW_IN_SCOPING)})" in page
    assert _state(app, assessment_id)[0] == EARLIER  # reading the page moves nothing

    response = post_form(client, page_url, f"{page_url}/bank", {}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Moved from question bank 2026.1 to 2026.2: 3 answers carried over." in text
    assert f"New questions to answer: {', '.join(NEW_IN_SCOPING)}." in text
    assert "Questions no longer asked: none." in text
    assert _state(app, assessment_id) == ("2026.2", GIVEN)
    assert "Move to question bank" not in text

    [event] = _move_events(app, assessment_id)
    assert event.actor == world.users["procurer_a"]
    before, after = json.loads(event.before), json.loads(event.after)
    assert (before["bank_version"], after["bank_version"]) == (EARLIER, "2026.2")
    assert before["answers_not_carried"] == {}
    assert sorted(after["carried"]) == sorted(GIVEN) and after["new"] == NEW_IN_SCOPING
    assert after["removed"] == [] and after["to_answer_again"] == []


@pytest.mark.parametrize(
    ("who", "code"), [("vendor_a", 403), ("oversight_a", 403), ("procurer_b", 404), ("vendor_b", 404)]
)
def test_only_the_owner_moves_an_assessment(app, world, client, auth, who, code):
    assessment_id = _on_earlier_bank(app, world, GIVEN)
    auth.login(world.users["procurer_a"])
    page_url = f"/assessments/{assessment_id}"
    page = client.get(page_url).get_data(as_text=True)
    auth.logout()
    auth.login(world.users[who])
    if code == 403:  # a reader who is not the owner is not offered the move
        assert "Move to question bank" not in client.get(page_url).get_data(as_text=True)
    response = client.post(f"{page_url}/bank", data={"csrf_token": _csrf(page)})
    assert response.status_code == code
    assert _state(app, assessment_id)[0] == EARLIER


def _csrf(page: str) -> str:
    from tests.conftest import csrf_token

    return csrf_token(page)


def test_a_move_without_the_form_token_moves_nothing(app, world, client, auth):
    assessment_id = _on_earlier_bank(app, world, GIVEN)
    auth.login(world.users["procurer_a"])
    response = client.post(f"/assessments/{assessment_id}/bank", data={})
    assert response.status_code == 400  # the CSRF check refuses it
    assert _state(app, assessment_id)[0] == EARLIER


def test_a_decided_assessment_keeps_its_bank(app, world, client, auth):
    assessment_id = _on_earlier_bank(app, world, GIVEN, status="approved")
    auth.login(world.users["procurer_a"])
    page_url = f"/assessments/{assessment_id}"
    page = client.get(page_url).get_data(as_text=True)
    assert "Move to question bank" not in page
    response = post_form(client, page_url, f"{page_url}/bank", {})
    assert response.status_code == 409
    assert "its answers can no longer change, so it stays on its question bank" in response.get_data(
        as_text=True
    )
    assert _state(app, assessment_id)[0] == EARLIER


def test_answers_that_do_not_carry_over_stay_readable_in_the_trail(app, world, monkeypatch):
    """A question dropped and a question whose options changed: their answers leave the assessment and the
    trail holds them, in the move event and as the removed answers themselves."""
    changed = copy.deepcopy(questions.current_bank())
    scoping = changed["stages"]["scoping"]
    scoping["questions"] = [q for q in scoping["questions"] if q["id"] != "SCO-02"]
    sco03 = next(q for q in scoping["questions"] if q["id"] == "SCO-03")
    sco03["options"] = [o for o in sco03["options"] if o["value"] != "advice"]
    changed["version"], changed["sha256"] = "2026.3", "f" * 64
    monkeypatch.setattr(questions, "current_bank", lambda: changed)

    answers = {**GIVEN, "SCO-02": "no", "SCO-03": "advice"}
    assessment_id = _on_earlier_bank(app, world, answers)
    with app.app_context():
        owner = db.session.query(User).filter_by(email=world.users["procurer_a"]).one()
        plan = bank_moves.move(owner, db.session.get(Assessment, assessment_id))
        db.session.commit()
    assert plan.removed == ["SCO-02"] and plan.to_answer_again == ["SCO-03"]
    assert sorted(plan.carried) == sorted(GIVEN)
    assert _state(app, assessment_id) == ("2026.3", GIVEN)

    [event] = _move_events(app, assessment_id)
    assert json.loads(event.before)["answers_not_carried"] == {"SCO-02": "no", "SCO-03": "advice"}
    with app.app_context():
        deleted = [
            json.loads(e.before)
            for e in db.session.query(Event).filter_by(action="delete", object_type="answer").all()
        ]
    assert sorted((d["question_id"], json.loads(d["value"])) for d in deleted) == [
        ("SCO-02", "no"),
        ("SCO-03", "advice"),
    ]


def test_the_demo_assessments_move_to_the_new_bank_with_their_answers(app, monkeypatch):
    """A demo database made when 2026.1 was current: its open assessments move to 2026.2 keeping every
    answer; the approved one keeps the bank it was decided on."""
    runner = CliRunner()
    with monkeypatch.context() as patch:
        patch.setattr(questions, "current_bank", lambda: questionnaires.load_version(EARLIER))
        assert runner.invoke(main, ["demo"]).exit_code == 0
    listing = json.loads(runner.invoke(main, ["assessments", "list", "--json"]).output)
    with app.app_context():
        before = {r["id"]: questions.answers_of(db.session.get(Assessment, r["id"])) for r in listing}
    assert sum(len(a) for a in before.values()) > 20
    versions = runner.invoke(main, ["questions", "versions"])
    assert f"{EARLIER}: {len(listing)} assessment(s)" in versions.output
    assert "2026.2 (current): 0 assessment(s)" in versions.output

    open_ones = {r["id"]: r for r in listing if r["status"] in ("draft", "in_progress")}
    by_owner = {"City of Riverton Procurement Office": "procurer@riverton.example"}
    by_owner["Civic Analytics Ltd"] = "vendor@civic-analytics.example"
    for assessment_id, row in open_ones.items():
        result = runner.invoke(
            main, ["questions", "move", str(assessment_id), "--by", by_owner[row["organisation"]]]
        )
        assert result.exit_code == 0, result.output
        assert f"Assessment {assessment_id}: 2026.1 -> 2026.2, {len(before[assessment_id])} answers" in (
            result.output
        )
    decided = next(r for r in listing if r["status"] == "approved_with_conditions")
    refused = runner.invoke(
        main, ["questions", "move", str(decided["id"]), "--by", "procurer@riverton.example"]
    )
    assert refused.exit_code == 1 and "stays on its question bank" in refused.output

    with app.app_context():
        for r in listing:
            assessment = db.session.get(Assessment, r["id"])
            expected = "2026.2" if r["id"] in open_ones else EARLIER
            assert questions.bank_for(assessment)["version"] == expected
            assert questions.answers_of(assessment) == before[r["id"]]
    assert len(open_ones) == 4
    assert runner.invoke(main, ["events", "verify"]).exit_code == 0
