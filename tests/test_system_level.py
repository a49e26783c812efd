"""The impact level belongs to the system: a later stage with milder answers does not lower it, a graver
one raises it, and lowering it takes an explicit, reasoned decision kept in the trail."""

import json

import pytest
from sqlalchemy import select

from hria.domain import questions, risk_register, scoring
from hria.domain.models import Answer, Assessment, Event, System
from hria.extensions import db


def answer_impact(assessment: Assessment, gravest: bool) -> None:
    """Answer every question of the stage: each risk at its most (or least) points, each safeguard at its
    least, so the level is the bank's highest (or lowest) reachable one; context questions, some of which
    decide whether an impact question is asked, with their first choice."""
    bank = questions.bank_for(assessment)
    stage = questions.stage_questions(bank, assessment)
    for question in stage["questions"]:
        if question["type"] == "evidence":
            continue
        value = _value(question, most=gravest and question["kind"] == "risk")
        row = db.session.scalars(
            select(Answer).filter_by(assessment_id=assessment.id, question_id=question["id"])
        ).first() or Answer(assessment_id=assessment.id, question_id=question["id"])
        row.value = json.dumps(value)
        db.session.add(row)
    db.session.flush()
    risk_register.recompute(assessment)


def _value(question: dict, most: bool):
    kind = question["type"]
    if kind == "yes_no":
        return "yes" if most and question["kind"] == "risk" else "no"
    if kind == "single":
        options = sorted(question["options"], key=lambda o: o.get("points", 0))
        return (options[-1] if most else options[0])["value"]
    if kind == "multiple":
        allowed = [o for o in question["options"] if not o.get("prohibited")]
        options = sorted(allowed, key=lambda o: o.get("points", 0))
        return [o["value"] for o in options if o["value"] != "none"] if most else [options[0]["value"]]
    if kind == "number":
        return 10**7 if most else 0
    return "x"


@pytest.fixture
def system_a(app, world):
    def make(stage: str) -> Assessment:
        assessment = Assessment(system_id=world.systems["a"], stage=stage, status="draft", language="en")
        db.session.add(assessment)
        db.session.commit()
        return assessment

    with app.app_context():
        yield make


def test_a_milder_later_stage_keeps_the_system_level(system_a):
    scoping = system_a("scoping")
    answer_impact(scoping, gravest=True)
    db.session.commit()
    reached = scoping.impact_level
    assert reached == "IV" and scoping.system.impact_level == "IV"

    deployment = system_a("deployment")
    answer_impact(deployment, gravest=False)
    db.session.commit()
    # the deployment stage's own answers give level I; the system stays at IV, and so do its obligations
    assert deployment.impact_level == "I"
    assert deployment.system.impact_level == "IV"
    assert risk_register.system_level(deployment) == "IV"
    bank = questions.bank_for(deployment)
    assert risk_register.obligations(deployment) == [
        questions.text(item, "en") for item in bank["obligations"]["IV"]
    ]
    assert deployment.system.impact_level_from_id == scoping.id


def test_a_graver_later_stage_raises_the_system_level(system_a):
    scoping = system_a("scoping")
    answer_impact(scoping, gravest=False)
    db.session.commit()
    assert scoping.system.impact_level == "I"
    design = system_a("design")
    answer_impact(design, gravest=True)
    db.session.commit()
    assert design.system.impact_level == design.impact_level == "IV"
    assert design.system.impact_level_from_id == design.id


def test_a_half_answered_stage_sets_no_level(system_a):
    scoping = system_a("scoping")
    bank = questions.bank_for(scoping)
    stage = questions.stage_questions(bank, scoping)
    first = next(q for q in stage["questions"] if q["kind"] == "risk" and q["type"] == "yes_no")
    db.session.add(Answer(assessment_id=scoping.id, question_id=first["id"], value=json.dumps("yes")))
    db.session.flush()
    impact = risk_register.recompute(scoping)
    db.session.commit()
    assert impact.level == "" and first["id"] not in impact.open and len(impact.open) > 5
    assert scoping.impact_level is None and scoping.system.impact_level is None


def test_lowering_needs_a_re_assessment_and_a_reason_and_is_in_the_trail(system_a):
    scoping = system_a("scoping")
    answer_impact(scoping, gravest=True)
    db.session.commit()
    system = scoping.system
    levels = questions.bank_for(scoping)["scoring"]["levels"]
    with pytest.raises(risk_register.LevelError, match="at least 20 characters"):
        risk_register.lower_level(system, "II", "fewer", levels)
    with pytest.raises(risk_register.LevelError, match="still gives level IV"):
        risk_register.lower_level(system, "II", "The decision step was removed from the contract.", levels)
    with pytest.raises(risk_register.LevelError, match="not lower than"):
        risk_register.lower_level(system, "IV", "The decision step was removed from the contract.", levels)

    answer_impact(scoping, gravest=False)  # the impact questions re-assessed: the stage now gives I
    db.session.commit()
    assert scoping.impact_level == "I" and system.impact_level == "IV"
    reason = "The decision step was removed from the contract; re-assessed SCO answers."
    risk_register.lower_level(system, "I", reason, levels)
    db.session.commit()
    assert db.session.get(System, system.id).impact_level == "I"
    event = db.session.scalars(
        select(Event).where(Event.action == "lower_impact_level", Event.object_id == system.id)
    ).one()
    assert event.comment == reason
    assert json.loads(event.before) == {"impact_level": "IV"} and json.loads(event.after) == {
        "impact_level": "I"
    }


def test_levels_order_comes_from_the_bank():
    levels = [{"level": "I"}, {"level": "II"}, {"level": "III"}, {"level": "IV"}]
    assert scoring.higher_level(levels, "IV", "III") == "IV"
