"""Every rate and summary figure equals fairlearn's (and scikit-learn's) on the same data, to 1e-9."""

import warnings

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score, balanced_accuracy_score, precision_score, roc_auc_score

from fairness import audit

TOL = 1e-9


def _npv(y_true, y_pred):
    return precision_score(y_true, y_pred, pos_label=0, zero_division=0)


def _precision(y_true, y_pred):
    return precision_score(y_true, y_pred, zero_division=0)


def _base_rate(y_true, y_pred):
    return float(np.mean(y_true))


REFERENCE = {
    "count": count,
    "selection_rate": selection_rate,
    "base_rate": _base_rate,
    "true_positive_rate": true_positive_rate,
    "false_positive_rate": false_positive_rate,
    "true_negative_rate": true_negative_rate,
    "false_negative_rate": false_negative_rate,
    "precision": _precision,
    "negative_predictive_value": _npv,
    "accuracy": accuracy_score,
}


def random_table(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(40, 3000))
    k1, k2 = int(rng.integers(2, 7)), int(rng.integers(2, 4))
    weights1 = rng.dirichlet(np.ones(k1) * 0.7)
    race = rng.choice([f"r{i}" for i in range(k1)], size=n, p=weights1)
    sex = rng.choice([f"s{i}" for i in range(k2)], size=n)
    base = rng.uniform(0.05, 0.6, size=k1)
    y = (rng.random(n) < base[[int(r[1:]) for r in race]]).astype(int)
    p = np.where(rng.random(n) < 0.7, y, 1 - y)
    if seed % 3 == 0:  # a group with no positive outcome at all
        y[race == "r0"] = 0
    if seed % 4 == 0:  # a group the model never selects
        p[race == "r1"] = 0
    y[0], y[1] = 0, 1  # both classes overall
    score = np.round(rng.normal(loc=y * 0.8, scale=1.0), 1)
    return pd.DataFrame({"y": y, "p": p, "race": race, "sex": sex, "score": score})


def _check_group_metrics(result, df, columns, family, with_score=True):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = MetricFrame(metrics=REFERENCE, y_true=df["y"], y_pred=df["p"], sensitive_features=df[columns])
    ours = {tuple(g["group"][c] for c in columns): g for g in result["groups"] if g["family"] == family}
    # fairlearn lists combinations that never occur, with NaN values; they are not groups of people
    by_group = frame.by_group.dropna(subset=["count"])
    by_group = by_group[by_group["count"] > 0]
    assert len(ours) == len(by_group)
    for key, row in by_group.iterrows():
        key = key if isinstance(key, tuple) else (key,)
        group = ours[tuple(str(k) for k in key)]
        for name in REFERENCE:
            expected = float(row[name])
            actual = group[name]
            if actual is None:
                # undefined (zero denominator): fairlearn reports 0 through scikit-learn
                assert expected == 0.0, (key, name)
            else:
                assert abs(actual - expected) <= TOL, (key, name, actual, expected)
        subset = df
        for c, k in zip(columns, key, strict=True):
            subset = subset[subset[c] == k]
        if subset["y"].nunique() == 2:
            assert abs(group["balanced_accuracy"] - balanced_accuracy_score(subset["y"], subset["p"])) <= TOL
            if with_score:
                assert abs(group["auc"] - roc_auc_score(subset["y"], subset["score"])) <= TOL
        else:
            assert group["balanced_accuracy"] is None and group["auc"] is None
        if group["precision"] is not None:
            assert abs(group["false_discovery_rate"] - (1 - group["precision"])) <= TOL
        if group["negative_predictive_value"] is not None:
            assert abs(group["false_omission_rate"] - (1 - group["negative_predictive_value"])) <= TOL


@pytest.mark.parametrize("seed", range(30))
def test_group_rates_and_summary_equal_fairlearn(seed):
    df = random_table(seed)
    result = audit(
        df, "y", "p", sensitive_features=["race", "sex"], score="score", n_bootstrap=0, threshold=0.0
    ).to_dict()
    # with a score and a decision given, the decision column is what is audited
    _check_group_metrics(result, df, ["race"], "race")
    _check_group_metrics(result, df, ["sex"], "sex")
    _check_group_metrics(result, df, ["race", "sex"], "intersection")

    sf = df[["race", "sex"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = {
            "demographic_parity_difference": demographic_parity_difference(
                df["y"], df["p"], sensitive_features=sf
            ),
            "demographic_parity_ratio": demographic_parity_ratio(df["y"], df["p"], sensitive_features=sf),
            "equalized_odds_difference": equalized_odds_difference(df["y"], df["p"], sensitive_features=sf),
            "equalized_odds_ratio": equalized_odds_ratio(df["y"], df["p"], sensitive_features=sf),
            "equal_opportunity_difference": equal_opportunity_difference(
                df["y"], df["p"], sensitive_features=sf
            ),
            "equal_opportunity_ratio": equal_opportunity_ratio(df["y"], df["p"], sensitive_features=sf),
        }
    for name, value in expected.items():
        actual = result["summary"][name]
        if np.isnan(value):
            assert actual is None, name
        else:
            assert abs(actual - value) <= TOL, (name, actual, value)


@pytest.mark.parametrize("seed", range(5))
def test_single_sensitive_column_summary_equals_fairlearn(seed):
    df = random_table(100 + seed)
    result = audit(df, "y", "p", sensitive_features="race", n_bootstrap=0).to_dict()
    assert not [g for g in result["groups"] if g["family"] == "intersection"]
    expected = equalized_odds_difference(df["y"], df["p"], sensitive_features=df["race"])
    assert abs(result["summary"]["equalized_odds_difference"] - expected) <= TOL
    _check_group_metrics(result, df, ["race"], "race", with_score=False)


def test_differences_and_ratios_follow_from_the_group_values():
    df = random_table(7)
    result = audit(df, "y", "p", sensitive_features=["race"], n_bootstrap=0).to_dict()
    groups = {g["group"]["race"]: g for g in result["groups"]}
    largest = max(groups.values(), key=lambda g: g["count"])["group"]["race"]
    for d in result["disparities"]:
        assert d["reference"] == {"race": largest}
        value, ref = groups[d["group"]["race"]][d["metric"]], groups[largest][d["metric"]]
        if value is not None and ref is not None:
            assert abs(d["difference"] - (value - ref)) <= TOL
            if ref:
                assert abs(d["ratio"] - value / ref) <= TOL
