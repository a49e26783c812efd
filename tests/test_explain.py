"""Explanations on synthetic data with a known truth: ranking, proxies and the fidelity gate."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from fairness import InputError
from fairness.explain import explain
from hria.cli import main

COMPAS = Path(__file__).resolve().parents[2] / "shared" / "data" / "compas-scores-two-years.csv"


def known_truth(n=6000, seed=0, hidden=False) -> pd.DataFrame:
    """The decision depends strongly on x1, weakly on x2, not at all on x3; proxy is a noisy copy of group."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], n)
    x1, x2, x3, independent = (rng.normal(size=n) for _ in range(4))
    proxy = (group == "a") + rng.normal(scale=0.35, size=n)
    z = rng.normal(size=n)  # a variable the upload does not contain
    signal = 3 * x1 + 0.6 * x2 + 1.2 * proxy + (4 * z if hidden else 0)
    return pd.DataFrame(
        {
            "x1": x1,
            "x2": x2,
            "x3": x3,
            "proxy": proxy,
            "independent": independent,
            "colour": rng.choice(["red", "green", None], n),
            "group": group,
            "decision": (signal > np.median(signal)).astype(int),
            "score": signal,
        }
    )


def importance(result) -> dict:
    return {row["feature"]: row["share"] for row in result.global_importance}


def test_ranking_follows_the_truth():
    result = explain(known_truth(), "decision", sensitive_features="group", exclude=["score"])
    assert result.explains_model and result.fidelity.value >= 0.9
    share = importance(result)
    ranked = [row["feature"] for row in result.global_importance]
    assert ranked[0] == "x1"
    assert share["x2"] > share["x3"] and share["x2"] > share["independent"]
    assert share["x3"] < 0.02 and share["independent"] < 0.02
    assert "group" not in result.features  # protected attributes are left out of the surrogate


def test_score_explained_with_r2():
    result = explain(known_truth(), score="score", sensitive_features="group", exclude=["decision"])
    assert result.fidelity.measure == "r2" and result.fidelity.value > 0.9
    assert result.global_importance[0]["feature"] == "x1"


def test_noisy_copy_of_the_protected_attribute_is_a_flagged_proxy():
    result = explain(known_truth(), "decision", sensitive_features="group", exclude=["score"])
    proxies = {p["feature"]: p["auc"] for p in result.proxies}
    assert proxies["proxy"] > 0.85
    assert proxies["independent"] < 0.6 and proxies["x1"] < 0.6
    flagged = [f for f in result.flags if f["flagged"]]
    assert [f["feature"] for f in flagged] == ["proxy"]
    assert flagged[0]["text"].startswith("proxy predicts group")


def test_per_group_attributions_show_who_is_pushed_up():
    result = explain(known_truth(), "decision", sensitive_features="group", exclude=["score"])
    by_group = {g["group"]: g["mean_shap"] for g in result.per_group}
    assert by_group["a"]["proxy"] > 0 > by_group["b"]["proxy"]


def test_unseen_variable_fails_the_fidelity_gate_and_says_why():
    result = explain(known_truth(hidden=True), "decision", sensitive_features="group", exclude=["score"])
    assert not result.explains_model and not result.fidelity.passed
    assert result.fidelity.value < 0.85
    assert "uses information that is not in the upload" in result.fidelity.message
    assert "Upload every feature the model receives" in result.fidelity.message


def test_sample_is_stratified_seeded_and_stated():
    df = known_truth(n=8000)
    first = explain(
        df, "decision", sensitive_features="group", exclude=["score"], sample=500, random_state=3
    ).to_dict()
    again = explain(
        df, "decision", sensitive_features="group", exclude=["score"], sample=500, random_state=3
    ).to_dict()
    assert first == again
    assert first["sample_size"] == 500
    counts = {g["group"]: g["count"] for g in first["per_group"]}
    assert abs(counts["a"] - 250) <= 15


def test_individual_explanations_in_plain_words():
    result = explain(known_truth(), "decision", sensitive_features="group", exclude=["score"])
    assert len(result.individual) == 3
    assert (
        "the largest factors towards a positive decision were" in result.individual[0]["text"].lower()
        or "the largest against were" in result.individual[0]["text"].lower()
    )


@pytest.mark.parametrize(
    "frame_change, kwargs, message",
    [
        (lambda d: d.assign(decision=1), {}, "is the same for every row"),
        (lambda d: d[["decision", "group"]], {}, "There are no features"),
        (
            lambda d: d.assign(note=[f"free text {i}" for i in range(len(d))]),
            {"features": ["x1", "note"]},
            "looks like an identifier or free text",
        ),
        (
            lambda d: d.head(60).assign(**{f"c{i}": np.arange(60.0) for i in range(70)}),
            {},
            "more columns than rows",
        ),
    ],
)
def test_bad_input_gets_a_clear_message(frame_change, kwargs, message):
    with pytest.raises(InputError, match=message):
        explain(frame_change(known_truth()), "decision", sensitive_features="group", **kwargs)


def test_identifier_columns_are_left_out_by_default():
    df = known_truth().assign(case_id=lambda d: [f"C{i:06d}" for i in range(len(d))])
    result = explain(df, "decision", sensitive_features="group", exclude=["score"])
    assert "case_id" not in result.features
    assert any("case_id" in w for w in result.warnings)


def test_explain_cli_json(tmp_path):
    path = tmp_path / "outputs.csv"
    known_truth().to_csv(path, index=False)
    result = CliRunner().invoke(
        main,
        [
            "explain",
            str(path),
            "--prediction",
            "decision",
            "--sensitive",
            "group",
            "--exclude",
            "score",
            "--json",
            "-",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["fidelity"]["passed"] is True
    assert data["global_importance"][0]["feature"] == "x1"
    assert [f["feature"] for f in data["flags"] if f["flagged"]] == ["proxy"]
    assert data["sample_size"] == 2000 and "per_group" in data and "proxies" in data
    text = CliRunner().invoke(
        main, ["explain", str(path), "--prediction", "decision", "--sensitive", "group", "--exclude", "score"]
    )
    assert "Fidelity: agreement" in text.output and "faithful" in text.output
    bad = CliRunner().invoke(main, ["explain", str(path), "--prediction", "colour", "--sensitive", "group"])
    assert bad.exit_code == 2 and "say which value(s) mean a positive decision" in bad.output


@pytest.mark.skipif(not COMPAS.exists(), reason="the COMPAS file in shared/data is not here")
def test_compas_fidelity_is_stated_honestly():
    result = explain(
        str(COMPAS),
        "score_text",
        pos_label="Medium,High",
        sensitive_features=["race", "sex"],
        features=["age", "juv_fel_count", "juv_misd_count", "juv_other_count", "c_charge_degree"],
    )
    assert 0.5 < result.fidelity.value < 0.85 and not result.explains_model
    assert result.global_importance[0]["feature"] == "age"
