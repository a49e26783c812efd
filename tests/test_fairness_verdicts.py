"""Intervals, verdicts that honour uncertainty, impact ratios, chunked reading and JSON output."""

import json
import math

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from fairness import DISPARITY, INCONCLUSIVE, NO_EVIDENCE, TOO_SMALL, audit


def groups_with_rates(spec: dict[str, tuple[int, float]], seed=0) -> pd.DataFrame:
    """Exact selection rates per group: {group: (rows, selection rate)}; outcomes half positive."""
    frames = []
    for name, (n, rate) in spec.items():
        selected = round(n * rate)
        frames.append(
            pd.DataFrame(
                {
                    "group": name,
                    "decision": [1] * selected + [0] * (n - selected),
                    "outcome": np.resize([0, 1], n),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def disparity(result, metric, group):
    return next(d for d in result.disparities if d.metric == metric and d.group == {"group": group})


def test_wilson_interval_matches_the_formula():
    df = groups_with_rates({"a": (200, 0.3), "b": (50, 0.5)})
    result = audit(df, "outcome", "decision", sensitive_features="group", n_bootstrap=0, confidence=0.95)
    low, high = result.groups[0].intervals["selection_rate"]
    expected = binomtest(60, 200).proportion_ci(confidence_level=0.95, method="wilson")
    assert math.isclose(low, expected.low, abs_tol=1e-12) and math.isclose(high, expected.high, abs_tol=1e-12)
    wider = audit(df, "outcome", "decision", sensitive_features="group", n_bootstrap=0, confidence=0.99)
    assert wider.groups[0].intervals["selection_rate"][0] < low


def test_clear_disparity_clear_equality_and_uncertainty():
    df = groups_with_rates(
        {"ref": (4000, 0.5), "far": (3000, 0.2), "same": (3000, 0.5), "fuzzy": (800, 0.37)}
    )
    result = audit(df, "outcome", "decision", sensitive_features="group", n_bootstrap=2000, random_state=1)
    assert result.parameters["references"]["group"] == {"group": "ref"}
    far = disparity(result, "selection_rate", "far")
    assert far.verdict == DISPARITY
    assert math.isclose(far.ratio, 0.4) and math.isclose(far.difference, -0.3)
    assert far.ratio_interval[1] < 0.8 and far.difference_interval[1] < -0.1
    assert disparity(result, "selection_rate", "same").verdict == NO_EVIDENCE
    fuzzy = disparity(result, "selection_rate", "fuzzy")
    assert fuzzy.verdict == INCONCLUSIVE
    assert fuzzy.ratio_interval[0] < 0.8 < fuzzy.ratio_interval[1]


def test_small_groups_are_never_passed():
    df = groups_with_rates({"ref": (1000, 0.5), "tiny": (20, 0.5)})
    result = audit(df, "outcome", "decision", sensitive_features="group", min_group_size=30)
    assert {d.verdict for d in result.disparities if d.group == {"group": "tiny"} and d.verdict} == {
        TOO_SMALL
    }
    assert next(g for g in result.groups if g.group == {"group": "tiny"}).too_small


def test_bootstrap_is_seeded_and_reproducible():
    df = groups_with_rates({"ref": (500, 0.5), "other": (300, 0.4)})
    first = audit(df, "outcome", "decision", sensitive_features="group", random_state=7).to_dict()
    again = audit(df, "outcome", "decision", sensitive_features="group", random_state=7).to_dict()
    other = audit(df, "outcome", "decision", sensitive_features="group", random_state=8).to_dict()
    assert first["disparities"] == again["disparities"]
    assert first["disparities"] != other["disparities"]


def test_bootstrap_interval_covers_the_normal_approximation():
    df = groups_with_rates({"ref": (5000, 0.5), "other": (5000, 0.4)})
    result = audit(
        df, "outcome", "decision", sensitive_features="group", n_bootstrap=4000, reference={"group": "ref"}
    )
    low, high = disparity(result, "selection_rate", "other").difference_interval
    se = math.sqrt(0.5 * 0.5 / 5000 + 0.4 * 0.6 / 5000)
    assert math.isclose(low, -0.1 - 1.96 * se, abs_tol=0.004)
    assert math.isclose(high, -0.1 + 1.96 * se, abs_tol=0.004)


def test_impact_ratios_exclude_small_groups_and_count_them():
    df = groups_with_rates({"a": (600, 0.6), "b": (390, 0.3), "c": (10, 0.9)})
    result = audit(df, "outcome", "decision", sensitive_features="group", n_bootstrap=0)
    ratios = {r.group["group"]: r for r in result.impact_ratios}
    assert ratios["c"].excluded and ratios["c"].impact_ratio is None
    assert math.isclose(ratios["b"].impact_ratio, 0.5) and ratios["a"].impact_ratio == 1.0
    assert result.impact_ratio_exclusions == {"group": {"groups": 1, "rows": 10}}
    kept = audit(
        df, "outcome", "decision", sensitive_features="group", n_bootstrap=0, impact_ratio_min_share=None
    )
    ratios = {r.group["group"]: r for r in kept.impact_ratios}
    assert math.isclose(ratios["b"].impact_ratio, 0.3 / 0.9)


def test_chosen_reference_group():
    df = groups_with_rates({"a": (600, 0.6), "b": (400, 0.3)})
    result = audit(
        df, "outcome", "decision", sensitive_features="group", reference={"group": "b"}, n_bootstrap=0
    )
    assert math.isclose(disparity(result, "selection_rate", "a").ratio, 2.0)


def test_chunked_file_equals_whole_frame(tmp_path):
    rng = np.random.default_rng(3)
    n = 5003
    df = pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "p": rng.integers(0, 2, n),
            "race": rng.choice(["a", "b", "c", None], n),
            "sex": rng.choice(["f", "m"], n),
            "score": rng.integers(1, 11, n),
        }
    )
    path = tmp_path / "big.csv"
    df.to_csv(path, index=False)
    whole = audit(
        df.assign(race=df["race"].fillna("(missing)")),
        "y",
        "p",
        sensitive_features=["race", "sex"],
        score="score",
        threshold=5,
        random_state=4,
    )
    chunked = audit(
        str(path),
        "y",
        "p",
        sensitive_features=["race", "sex"],
        score="score",
        threshold=5,
        random_state=4,
        chunk_rows=97,
    )
    a, b = whole.to_dict(), chunked.to_dict()
    for key in ("groups", "disparities", "impact_ratios", "summary", "scores"):
        assert a[key] == b[key], key


def test_json_has_nulls_never_nan():
    df = groups_with_rates({"a": (100, 0.0), "b": (100, 0.5)})
    df.loc[df.group == "a", "outcome"] = 0
    result = audit(df, "outcome", "decision", sensitive_features="group", n_bootstrap=200)
    text = result.to_json()
    assert "NaN" not in text and "Infinity" not in text
    data = json.loads(text)
    a = next(g for g in data["groups"] if g["group"] == {"group": "a"})
    assert a["true_positive_rate"] is None and a["precision"] is None
    assert a["intervals"]["true_positive_rate"] == [None, None]
    assert set(data) >= {"rows", "groups", "disparities", "impact_ratios", "summary"}


def test_intersections_are_reported(tmp_path):
    df = groups_with_rates({"a": (400, 0.5), "b": (400, 0.3)})
    df["sex"] = np.resize(["f", "m"], len(df))
    result = audit(df, "outcome", "decision", sensitive_features=["group", "sex"], n_bootstrap=0)
    families = [g.family for g in result.groups]
    assert families.count("group") == 2 and families.count("sex") == 2 and families.count("intersection") == 4
    cell = next(g for g in result.groups if g.group == {"group": "b", "sex": "m"})
    assert cell.count == 200 and math.isclose(
        cell.metrics["selection_rate"], df[(df.group == "b") & (df.sex == "m")].decision.mean()
    )


def test_decision_with_a_score_needs_no_threshold():
    df = groups_with_rates({"a": (300, 0.5), "b": (300, 0.3)})
    df["score"] = np.linspace(0, 1, len(df))
    result = audit(df, "outcome", "decision", sensitive_features="group", score="score", n_bootstrap=0)
    assert result.scores["thresholds"] and result.groups[0].auc is not None
