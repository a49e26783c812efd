"""Every condition in the current bank, and which answers of the question it depends on hide what: a
safeguard must not disappear on an answer that leaves the need for it in place."""

import questionnaires
from hria.domain import scoring

# (stage, conditional question) → the answers of the question it depends on that hide it, reviewed one by one.
# DEP-07 (opt-out without disadvantage) is hidden only where the law makes use compulsory for everyone.
HIDDEN_BY = {
    ("deployment", "DEP-07"): {"yes", "not_applicable"},
    ("deployment", "DEP-17"): {"no", "not_applicable"},
    ("deployment", "DEP-18"): {"no", "not_applicable"},
    ("deployment", "DEP-19"): {"no", "not_applicable"},
    ("deployment", "DEP-20"): {"no", "not_applicable"},
    ("scoping", "SCO-22"): {"no", "not_applicable"},
    ("scoping", "SCO-24"): {"no", "not_applicable"},
    ("scoping", "SCO-25"): {"no", "not_applicable"},
}


def _answers_of(question: dict, bank: dict) -> list[str]:
    if question["type"] == "yes_no":
        return [v["key"] for v in bank["yes_no_values"]]
    return [o["value"] for o in question["options"]]


def test_each_condition_hides_its_question_only_where_the_need_is_gone():
    bank = questionnaires.load_bank()
    found = {}
    for stage_key, stage in bank["stages"].items():
        by_id = {q["id"]: q for q in stage["questions"]}
        for question in stage["questions"]:
            condition = question.get("when")
            if not condition:
                continue
            target = by_id[condition["question"]]
            hidden = {
                answer
                for answer in _answers_of(target, bank)
                if not scoring.visible(question, {target["id"]: answer}, by_id)
            }
            found[(stage_key, question["id"])] = hidden
    assert found == HIDDEN_BY


def test_a_partly_compulsory_system_still_asks_about_opting_out():
    bank = questionnaires.load_bank()
    stage = bank["stages"]["deployment"]
    by_id = {q["id"]: q for q in stage["questions"]}
    assert scoring.visible(by_id["DEP-07"], {"DEP-08": "partly"}, by_id)
