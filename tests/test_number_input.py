"""Numbers people type: NaN, infinities and what overflows to infinity are refused everywhere with a
message, in the questionnaire, the audit's mapping form, `hria audit --threshold` and the library."""

import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import form_fields, post_form
from test_audit_web import outputs_csv, upload

from fairness import InputError, audit
from hria.cli import main
from hria.domain.models import Answer, FairnessAudit
from hria.extensions import db

NOT_FINITE = ["NaN", "sNaN", "Infinity", "-Infinity", "1e999999"]


def scored(n=200) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {"outcome": rng.integers(0, 2, n), "score": rng.random(n), "group": rng.choice(["a", "b"], n)}
    )


@pytest.mark.parametrize("typed", NOT_FINITE)
def test_questionnaire_number_answer(app, client, world, auth, typed):
    auth.login(world.users["procurer_a"])
    aid = world.assessments["a"]
    url = f"/assessments/{aid}/sections/people"
    response = post_form(client, url, url, {"SCO-06": typed, "save": "1"})
    assert response.status_code == 400
    assert f"“{typed}” is not a finite number: give a number such as 12." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Answer).filter_by(assessment_id=aid).count() == 0


@pytest.mark.parametrize("typed", NOT_FINITE)
def test_audit_threshold_in_the_mapping_form(app, client, world, auth, typed):
    auth.login(world.users["procurer_a"])
    url = upload(client, world.assessments["a"], outputs_csv(300)).headers["Location"]
    data = form_fields(client.get(url).get_data(as_text=True))
    data.update(
        y_true="two_year_recid",
        y_pred="",
        score="decile_score",
        threshold=typed,
        sensitive_features=["race"],
        min_group_size="30",
        confidence="0.95",
    )
    response = client.post(url, data=data)
    assert response.status_code == 200
    assert f"“{typed}” is not a finite number: give a number such as 0.5." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(FairnessAudit).filter_by(assessment_id=world.assessments["a"]).count() == 1


@pytest.mark.parametrize("typed", ["nan", "inf", "-inf", "1e999999"])
def test_cli_threshold(tmp_path, typed):
    path = tmp_path / "scores.csv"
    scored().to_csv(path, index=False)
    result = CliRunner().invoke(
        main,
        [
            "audit",
            str(path),
            "--label",
            "outcome",
            "--score",
            "score",
            "--threshold",
            typed,
            "--sensitive",
            "group",
        ],
    )
    assert result.exit_code == 2
    assert "Error: The threshold must be a finite number, such as 0.5, not '" in result.output


@pytest.mark.parametrize("threshold", [float("nan"), float("inf"), "1e999999", Decimal("sNaN"), "high"])
def test_library_threshold(threshold):
    with pytest.raises(
        InputError, match=f"The threshold must be a finite number, such as 0.5, not '{threshold}'"
    ):
        audit(scored(), "outcome", score="score", threshold=threshold, sensitive_features="group")


def test_library_difference_threshold():
    with pytest.raises(
        InputError,
        match=re.escape("The difference threshold must be a finite number, such as 0.5, not 'nan'"),
    ):
        audit(
            scored(),
            "outcome",
            score="score",
            threshold=0.5,
            sensitive_features="group",
            difference_threshold=float("nan"),
        )


def test_finite_threshold_still_works():
    result = audit(
        scored(), "outcome", score="score", threshold="0.5", sensitive_features="group", n_bootstrap=0
    )
    assert result.columns["threshold"] == 0.5
    assert sum(g.counts["tp"] + g.counts["fp"] for g in result.groups) == (scored()["score"] >= 0.5).sum()
