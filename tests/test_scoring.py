"""Impact scoring worked by hand on a small bank, and the risk matrix."""

import pytest

from hria.domain import scoring

BANK = {
    "scoring": {
        "mitigation_threshold": 0.8,
        "mitigation_reduction": 0.15,
        "levels": [
            {"level": "I", "up_to": 0.25},
            {"level": "II", "up_to": 0.5},
            {"level": "III", "up_to": 0.75},
            {"level": "IV", "up_to": 1.0},
        ],
    },
    "risk_matrix": {
        "levels": [
            {"level": "low", "up_to": 9},
            {"level": "medium", "up_to": 18},
            {"level": "high", "up_to": 30},
            {"level": "very_high", "up_to": 48},
        ]
    },
}
YES_NO = {"yes": 2, "partly": 1, "no": 0}
STAGE = {
    "questions": [
        {"id": "R1", "kind": "risk", "type": "yes_no", "points": {"yes": 4, "partly": 2, "no": 0}},
        {
            "id": "R2",
            "kind": "risk",
            "type": "single",
            "options": [
                {"value": "none", "points": 0},
                {"value": "advice", "points": 1},
                {"value": "auto", "points": 4},
            ],
        },
        {
            "id": "R3",
            "kind": "risk",
            "type": "yes_no",
            "points": {"yes": 3, "partly": 1, "no": 0},
            "when": {"question": "R2", "in": ["auto"]},
        },
        {
            "id": "R4",
            "kind": "risk",
            "type": "number",
            "bands": [{"below": 1000, "points": 0}, {"points": 2}],
        },
        {"id": "S1", "kind": "safeguard", "type": "yes_no", "points": YES_NO},
        {"id": "S2", "kind": "safeguard", "type": "yes_no", "points": YES_NO},
        {"id": "S3", "kind": "safeguard", "type": "yes_no", "points": YES_NO},
        {"id": "S4", "kind": "safeguard", "type": "yes_no", "points": YES_NO},
        {"id": "S5", "kind": "safeguard", "type": "yes_no", "points": YES_NO},
        {"id": "C1", "kind": "context", "type": "text"},
    ]
}


def test_hidden_risk_question_neither_adds_points_nor_raises_the_maximum():
    answers = {"R1": "yes", "R2": "advice", "R3": "yes", "R4": 50000}
    result = scoring.impact(BANK, STAGE, answers)
    # R3 is hidden (R2 is not "auto"): raw = 4 + 1 + 2 = 7 of 4 + 4 + 2 = 10, not 10 of 13
    assert (result.raw, result.raw_max) == (7, 10)
    assert "R3" not in result.counted
    # no safeguard answered: mitigation 0 of 10, no reduction; 7 / 10 = 0.70 → level III
    assert (result.mitigation, result.mitigation_max, result.reduced) == (0, 10, False)
    assert result.score == 7 and result.share == pytest.approx(0.7) and result.level == "III"


def test_shown_condition_counts_the_question():
    answers = {"R1": "yes", "R2": "auto", "R3": "yes", "R4": 50000}
    result = scoring.impact(BANK, STAGE, answers)
    assert (result.raw, result.raw_max) == (4 + 4 + 3 + 2, 13)
    assert result.share == pytest.approx(1.0) and result.level == "IV"


def test_eighty_percent_rule_just_below_the_boundary():
    # mitigation 7 of 10 = 70 %: no reduction
    answers = {
        "R1": "partly",
        "R2": "advice",
        "R4": 10,
        "S1": "yes",
        "S2": "yes",
        "S3": "yes",
        "S4": "partly",
        "S5": "no",
    }
    result = scoring.impact(BANK, STAGE, answers)
    assert (result.mitigation, result.mitigation_max) == (7, 10)
    assert not result.reduced
    assert (result.raw, result.raw_max, result.score) == (3, 10, 3)
    assert result.level == "II"  # 0.30


def test_eighty_percent_rule_exactly_at_the_boundary():
    # mitigation 8 of 10 = 80 %: raw 3 reduced by 15 % to 2.55; 2.55 / 10 = 0.255 → level II
    answers = {
        "R1": "partly",
        "R2": "advice",
        "R4": 10,
        "S1": "yes",
        "S2": "yes",
        "S3": "yes",
        "S4": "yes",
        "S5": "no",
    }
    result = scoring.impact(BANK, STAGE, answers)
    assert result.reduced
    assert result.score == pytest.approx(2.55)
    assert result.share == pytest.approx(0.255)
    assert result.level == "II"


def test_full_mitigation_reduces_the_score():
    # R1 yes (4) + R4 ≥ 1000 (2) = 6 of 10; all safeguards in place → 6 × 0.85 = 5.1 → 0.51 → level III
    answers = {
        "R1": "yes",
        "R2": "none",
        "R4": 5000,
        "S1": "yes",
        "S2": "yes",
        "S3": "yes",
        "S4": "yes",
        "S5": "yes",
    }
    result = scoring.impact(BANK, STAGE, answers)
    assert (result.raw, result.raw_max) == (6, 10)
    assert result.reduced and result.score == pytest.approx(5.1) and result.level == "III"
    answers["R4"] = 10  # 4 of 10 → 4 × 0.85 = 3.4 → 0.34 → level II
    assert scoring.impact(BANK, STAGE, answers).level == "II"


def test_not_applicable_leaves_score_and_maximum():
    answers = {"R1": "not_applicable", "R2": "advice", "R4": 10, "S1": "not_applicable"}
    result = scoring.impact(BANK, STAGE, answers)
    assert (result.raw, result.raw_max) == (1, 6)
    assert result.mitigation_max == 8


def test_unanswered_shown_questions_count_in_the_maximum():
    result = scoring.impact(BANK, STAGE, {})
    assert (result.raw, result.raw_max, result.mitigation_max) == (0, 10, 10)
    assert result.level == "I"


@pytest.mark.parametrize(
    "ratings, expected",
    [
        ((1, 1, 1, 1), (3, 3, "low")),
        ((2, 2, 2, 2), (6, 12, "medium")),
        ((3, 3, 3, 3), (9, 27, "high")),
        ((4, 4, 3, 3), (11, 33, "very_high")),
        ((3, 3, 3, 2), (9, 18, "medium")),
    ],
)
def test_risk_matrix(ratings, expected):
    assert scoring.risk_level(BANK["risk_matrix"], *ratings) == expected
