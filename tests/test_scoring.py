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
NO_SAFEGUARDS = {f"S{n}": "no" for n in range(1, 6)}


def test_hidden_risk_question_neither_adds_points_nor_raises_the_maximum():
    answers = {"R1": "yes", "R2": "advice", "R3": "yes", "R4": 50000, **NO_SAFEGUARDS}
    result = scoring.impact(BANK, STAGE, answers)
    # R3 is hidden (R2 is not "auto"): raw = 4 + 1 + 2 = 7 of 4 + 4 + 2 = 10, not 10 of 13
    assert (result.raw, result.raw_max) == (7, 10)
    assert "R3" not in result.counted
    # no safeguard in place: mitigation 0 of 10, no reduction; 7 / 10 = 0.70 → level III
    assert (result.mitigation, result.mitigation_max, result.reduced) == (0, 10, False)
    assert result.score == 7 and result.share == pytest.approx(0.7) and result.level == "III"


def test_shown_condition_counts_the_question():
    answers = {"R1": "yes", "R2": "auto", "R3": "yes", "R4": 50000, **NO_SAFEGUARDS}
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


def test_unanswered_shown_questions_count_in_the_maximum_and_leave_no_level():
    result = scoring.impact(BANK, STAGE, {})
    assert (result.raw, result.raw_max, result.mitigation_max) == (0, 10, 10)
    # R1, R2, R4 and S1–S5 are shown and open (R3 is hidden, C1 is context): no level yet
    assert result.open == ["R1", "R2", "R4", "S1", "S2", "S3", "S4", "S5"]
    assert result.level == ""


def test_one_answer_gives_no_level_until_every_impact_question_is_answered():
    # R1 yes alone: 4 of 10 raw points would read as 40 % → level II, from one answer of eight
    result = scoring.impact(BANK, STAGE, {"R1": "yes"})
    assert (result.raw, result.raw_max) == (4, 10)
    assert len(result.open) == 7 and result.level == ""
    answers = {"R1": "yes", "R2": "advice", "R4": 10, "S1": "no", "S2": "no", "S3": "no", "S4": "no"}
    assert scoring.impact(BANK, STAGE, answers).open == ["S5"]
    # the last one answered: 5 of 10 raw points, no mitigation → 50 % → level II
    final = scoring.impact(BANK, STAGE, {**answers, "S5": "not_applicable"})
    assert (final.open, final.raw, final.raw_max, final.share, final.level) == ([], 5, 10, 0.5, "II")


def test_higher_level_keeps_the_graver_in_the_bank_order():
    levels = BANK["scoring"]["levels"]
    assert scoring.higher_level(levels, "III", "I") == "III"
    assert scoring.higher_level(levels, "II", "IV") == "IV"
    assert scoring.higher_level(levels, None, "I") == "I"
    assert scoring.higher_level(levels, "II", None) == "II"
    assert scoring.higher_level(levels, None, None) is None


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


SEVERITY_FIRST = {
    "levels": BANK["risk_matrix"]["levels"],
    "severity_bands": [
        {"level": "low", "up_to": 5},
        {"level": "medium", "up_to": 7},
        {"level": "high", "up_to": 9},
        {"level": "very_high", "up_to": 12},
    ],
    "gravest": {"value": 4, "floor": "high"},
}


@pytest.mark.parametrize(
    "ratings, expected",
    [
        # the pair: grave, irremediable but unlikely was "low" (9 × 1 = 9) under the product rule…
        ((4, 1, 4, 1), (9, 9, "high")),
        # …and trivial but almost certain was "medium" (3 × 4 = 12); severity first turns them round
        ((1, 1, 1, 4), (3, 12, "low")),
        # irremediable alone (reversibility 4) lifts a severity of 6 (medium band) to the floor
        ((1, 1, 4, 1), (6, 6, "high")),
        # very many people (scope 4) is severity, not the floor: 1 + 4 + 1 = 6 → medium
        ((1, 4, 1, 4), (6, 24, "medium")),
        ((2, 2, 1, 1), (5, 5, "low")),
        ((3, 3, 3, 1), (9, 9, "high")),
        ((4, 4, 4, 1), (12, 12, "very_high")),
        ((3, 3, 4, 4), (10, 40, "very_high")),
    ],
)
def test_severity_first_matrix(ratings, expected):
    assert scoring.risk_level(SEVERITY_FIRST, *ratings) == expected


def test_likelihood_orders_harms_within_a_severity_band():
    rare = scoring.risk_level(SEVERITY_FIRST, 3, 2, 2, 1)
    certain = scoring.risk_level(SEVERITY_FIRST, 3, 2, 2, 4)
    assert rare[2] == certain[2] == "medium" and rare[1] < certain[1]


def test_a_blank_gate_question_keeps_the_level_open():
    # R3 is asked only when R2 is "auto": with R2 blank, R3 is hidden and R2 itself is open
    stage = {"questions": [q for q in STAGE["questions"] if q["id"] in ("R2", "R3", "S1")]}
    assert scoring.impact(BANK, stage, {"S1": "yes"}).open == ["R2"]
    done = scoring.impact(BANK, stage, {"S1": "yes", "R2": "advice"})
    assert done.open == [] and done.level != ""
