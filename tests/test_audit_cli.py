"""`hria audit`: readable tables, the documented JSON, and exit codes."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hria.cli import main

COMPAS = Path(__file__).resolve().parents[2] / "shared" / "data" / "compas-scores-two-years.csv"


@pytest.fixture
def outputs(tmp_path) -> Path:
    rng = np.random.default_rng(11)
    n = 3000
    race = rng.choice(["a", "b", "c"], n, p=[0.5, 0.35, 0.15])
    y = rng.integers(0, 2, n)
    score = np.clip(y * 0.25 + rng.random(n) + (race == "b") * 0.2, 0, 1.5)
    df = pd.DataFrame(
        {
            "outcome": np.where(y == 1, "yes", "no"),
            "score": score.round(3),
            "decision": (score >= 0.7).astype(int),
            "race": race,
            "sex": rng.choice(["f", "m"], n),
        }
    )
    path = tmp_path / "outputs.csv"
    df.to_csv(path, index=False)
    return path


def test_audit_prints_tables(outputs):
    result = CliRunner().invoke(
        main,
        [
            "audit",
            str(outputs),
            "--label",
            "outcome",
            "--prediction",
            "decision",
            "--sensitive",
            "race",
            "--sensitive",
            "sex",
            "--bootstrap",
            "200",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "3000 rows audited; intervals at 95%." in result.output
    for heading in ("Groups", "Disparities against the reference group", "Impact ratios", "Summary"):
        assert heading in result.output
    assert "race=b" in result.output and "race=a, sex=f" in result.output


def test_audit_json_to_stdout_has_the_documented_shape(outputs):
    result = CliRunner().invoke(
        main,
        [
            "audit",
            str(outputs),
            "--label",
            "outcome",
            "--score",
            "score",
            "--threshold",
            "0.7",
            "--sensitive",
            "race",
            "--sensitive",
            "sex",
            "--reference",
            "race=c",
            "--seed",
            "3",
            "--bootstrap",
            "300",
            "--json",
            "-",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["rows"] == 3000
    group = data["groups"][0]
    for key in (
        "group",
        "count",
        "selection_rate",
        "true_positive_rate",
        "false_positive_rate",
        "false_negative_rate",
        "true_negative_rate",
        "precision",
        "negative_predictive_value",
        "false_discovery_rate",
        "false_omission_rate",
        "accuracy",
        "balanced_accuracy",
        "base_rate",
        "intervals",
        "auc",
    ):
        assert key in group, key
    d = data["disparities"][0]
    assert set(d) >= {
        "metric",
        "group",
        "reference",
        "difference",
        "ratio",
        "difference_interval",
        "ratio_interval",
        "verdict",
    }
    race_refs = {json.dumps(x["reference"]) for x in data["disparities"] if x["family"] == "race"}
    assert race_refs == {json.dumps({"race": "c"})}
    assert set(data["summary"]) >= {
        "demographic_parity_difference",
        "equalized_odds_difference",
        "equal_opportunity_difference",
    }
    assert data["impact_ratios"] and data["scores"]["calibration"]


def test_audit_json_to_file(outputs, tmp_path):
    target = tmp_path / "result.json"
    result = CliRunner().invoke(
        main,
        [
            "audit",
            str(outputs),
            "--label",
            "outcome",
            "--prediction",
            "decision",
            "--sensitive",
            "race",
            "--json",
            str(target),
        ],
    )
    assert result.exit_code == 0
    assert json.loads(target.read_text())["rows"] == 3000


def test_bad_input_exits_2_with_the_message(outputs):
    result = CliRunner().invoke(
        main, ["audit", str(outputs), "--label", "outcome", "--prediction", "race", "--sensitive", "sex"]
    )
    assert result.exit_code == 2
    assert "The decision column 'race' must be binary" in result.output
    missing = CliRunner().invoke(main, ["audit", str(outputs), "--label", "outcome", "--sensitive", "sex"])
    assert missing.exit_code == 2 and "Give --prediction COLUMN" in missing.output


@pytest.mark.skipif(not COMPAS.exists(), reason="the COMPAS file in shared/data is not here")
def test_compas_false_positive_rates():
    """ProPublica's finding: Black defendants who did not reoffend were flagged far more often."""
    result = CliRunner().invoke(
        main,
        [
            "audit",
            str(COMPAS),
            "--label",
            "two_year_recid",
            "--prediction",
            "score_text",
            "--prediction-positive",
            "Medium,High",
            "--sensitive",
            "race",
            "--sensitive",
            "sex",
            "--reference",
            "race=Caucasian",
            "--json",
            "-",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["rows"] == 7214
    fpr = {g["group"]["race"]: g["false_positive_rate"] for g in data["groups"] if g["family"] == "race"}
    assert round(fpr["African-American"], 3) == 0.448 and round(fpr["Caucasian"], 3) == 0.235
    verdict = next(
        d
        for d in data["disparities"]
        if d["metric"] == "false_positive_rate" and d["group"] == {"race": "African-American"}
    )
    assert verdict["verdict"] == "disparity"


def test_audit_names_the_multiple_comparison_method_in_text_and_json(outputs, tmp_path):
    target = tmp_path / "bh.json"
    args = ["audit", str(outputs), "--label", "outcome", "--prediction", "decision", "--sensitive", "race"]
    result = CliRunner().invoke(
        main, [*args, "--bootstrap", "200", "--multiple-comparisons", "bh", "--json", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert "Benjamini–Hochberg (false discovery rate)" in result.output
    assert "adjusted verdict" in result.output and "detectable" in result.output
    data = json.loads(target.read_text())
    assert data["parameters"]["multiple_comparisons"] == "bh"
    tested = [d for d in data["disparities"] if d["p_value"] is not None]
    assert tested and all(d["adjusted_p_value"] >= d["p_value"] for d in tested)
    default = CliRunner().invoke(main, [*args, "--bootstrap", "0", "--json", "-"])
    assert json.loads(default.output)["parameters"]["multiple_comparisons"] == "holm"
    refused = CliRunner().invoke(main, [*args, "--multiple-comparisons", "sidak"])
    assert refused.exit_code == 2 and "'sidak' is not one of" in refused.output
