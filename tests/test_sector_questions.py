"""The system's urban sector decides which scoping questions are asked, and a system that decides about places
rather than persons still scores on the harms it does to areas (issue of impact levels, defect 7)."""

import json

import questionnaires
from hria.domain import demo, questions, risk_register, scoring
from hria.domain.models import Answer, Assessment, System
from hria.domain.vocabulary import SECTORS
from hria.extensions import db

BANK = questionnaires.load_bank()
SCOPING = BANK["stages"]["scoping"]


def shown_ids(sector: str | None) -> set[str]:
    return {q["id"] for q in scoring.visible_questions(SCOPING, {}, sector)}


def test_the_essential_service_question_is_asked_only_in_the_sectors_that_run_one():
    for sector in ("transport", "energy", "water", "waste", "disaster"):
        assert "SCO-27" in shown_ids(sector), sector
    for sector in ("welfare", "housing", "safety", "urban_planning", None):
        assert "SCO-27" not in shown_ids(sector), sector
    # the questions asked in every sector are the same for each
    assert shown_ids("welfare") == shown_ids("waste") - {"SCO-27"}


def test_the_banks_sectors_are_the_applications_sectors():
    assert tuple(BANK["sectors"]) == SECTORS.keys


def test_a_question_for_an_unknown_sector_is_refused_by_the_check(tmp_path):
    import shutil

    folder = tmp_path / "bank"
    shutil.copytree(questionnaires.HERE, folder, ignore=shutil.ignore_patterns("versions", "__pycache__"))
    stage = folder / "stages" / "scoping.yaml"
    stage.write_text(stage.read_text().replace("sectors: [transport,", "sectors: [trams,"))
    _bank, problems = questionnaires.check_bank(folder)
    assert any(
        "question SCO-27: unknown sector 'trams'" in p and "use one of disaster, energy" in p
        for p in problems
    ), problems


def test_the_demo_street_sensors_score_level_ii_on_harms_to_places_and_would_be_level_i_without(app):
    with app.app_context():
        demo.seed(app.instance_path)
        sensors = db.session.query(System).filter_by(name="Street sensor network").one()
        scoping = db.session.query(Assessment).filter_by(system_id=sensors.id, stage="scoping").one()
        result = risk_register.current_impact(scoping)
        # hand-worked: SCO-05 partly 2, SCO-06 180,000 people 3, SCO-07 two groups 2, SCO-17..19 1 each,
        # SCO-23 yes 3, SCO-24 three harms 6, SCO-27 yes 3 = 22 of 4+4+3+3+6+3+3+3+3+3+3+3+10+3 = 54
        assert (result.raw, result.raw_max) == (22, 54)
        assert not result.reduced  # 10 of 19 mitigation points, short of 80 %
        assert round(result.share, 3) == 0.407
        assert (scoping.impact_level, sensors.impact_level) == ("II", "II")

        answers = questions.answers_of(scoping)
        bank = questions.bank_for(scoping)
        stage = questions.stage_questions(bank, scoping)
        places_ignored = {**answers, "SCO-23": "no", "SCO-27": "no"}
        without = scoring.impact(bank, stage, places_ignored, sector="waste")
        # SCO-24 and SCO-25 are no longer asked: 22 - 3 - 6 - 3 = 10 of 54 - 10 = 44
        assert (without.raw, without.raw_max, without.level) == (10, 44, "I")
        # and the same answers from a system in a sector without essential services are not asked SCO-27
        assert "SCO-27" not in scoring.impact(bank, stage, answers, sector="welfare").counted


def test_the_wizard_asks_a_waste_system_about_essential_services_and_a_welfare_one_not(
    app, client, world, auth
):
    with app.app_context():
        welfare = db.session.get(Assessment, world.assessments["a"])
        waste = System(
            name="Bin sensors",
            purpose="Plans collection rounds",
            owner_id=welfare.system.owner_id,
            vendor_id=welfare.system.vendor_id,
            sector="waste",
            automated_decisions=False,
        )
        assessment = Assessment(system=waste, stage="scoping", status="draft", language="en")
        db.session.add_all([waste, assessment])
        db.session.commit()
        ids = {"welfare": welfare.id, "waste": assessment.id}
    auth.login(world.users["procurer_a"])
    waste_page = client.get(f"/assessments/{ids['waste']}/sections/people").get_data(as_text=True)
    welfare_page = client.get(f"/assessments/{ids['welfare']}/sections/people").get_data(as_text=True)
    assert "SCO-27" in waste_page and "essential service" in waste_page
    assert "SCO-27" not in welfare_page


def test_an_answer_to_a_question_of_another_sector_neither_counts_nor_blocks_the_level(app, world):
    with app.app_context():
        assessment = db.session.get(Assessment, world.assessments["a"])  # a welfare system
        db.session.add(Answer(assessment_id=assessment.id, question_id="SCO-27", value=json.dumps("yes")))
        db.session.flush()
        result = risk_register.current_impact(assessment)
        assert "SCO-27" not in result.counted and "SCO-27" not in result.open
