"""Audits of decisions alone, as in operation where outcomes are not known: selection rates and impact
ratios only, and the result says which metrics need outcomes."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from test_audit_web import run_audit

from fairness import DISPARITY, audit
from fairness.metrics import LABEL_FREE_METRICS, METRICS_NEEDING_LABELS
from hria.cli import main
from hria.domain import jobs
from hria.domain.models import FairnessAudit
from hria.extensions import db


def decisions() -> pd.DataFrame:
    # 600 of 2,000 selected in district north, 300 of 1,000 in south, 45 of 300 in east
    rows = []
    for district, n, selected in (("north", 2000, 600), ("south", 1000, 300), ("east", 300, 45)):
        rows += [{"district": district, "flag": int(i < selected)} for i in range(n)]
    return pd.DataFrame(rows)


def test_only_selection_rates_and_impact_ratios_are_computed():
    result = audit(decisions(), None, "flag", sensitive_features="district", n_bootstrap=500)
    assert not result.labelled
    east = next(g for g in result.groups if g.group == {"district": "east"})
    assert east.metrics["selection_rate"] == pytest.approx(0.15)
    assert all(east.metrics[m] is None for m in METRICS_NEEDING_LABELS)
    assert east.intervals["false_positive_rate"] == [None, None]
    assert {d.metric for d in result.disparities} == set(LABEL_FREE_METRICS) == {"selection_rate"}
    gap = next(d for d in result.disparities if d.group == {"district": "east"})
    assert gap.difference == pytest.approx(-0.15) and gap.ratio == pytest.approx(0.5)
    assert gap.verdict == DISPARITY
    ratios = {r.group["district"]: r.impact_ratio for r in result.impact_ratios}
    assert ratios == pytest.approx({"east": 0.5, "north": 1.0, "south": 1.0})
    assert result.summary["demographic_parity_difference"] == pytest.approx(0.15)
    assert result.summary["equalized_odds_difference"] is None
    data = result.to_dict()
    assert data["labelled"] is False
    assert "false_positive_rate" in data["metrics_needing_labels"]
    assert "selection_rate" not in data["metrics_needing_labels"]
    assert any("need observed outcomes and are not computed" in w for w in result.warnings)


def test_a_decision_only_audit_of_one_selected_class_is_still_an_audit():
    frame = decisions().assign(flag=1)
    result = audit(frame, None, "flag", sensitive_features="district", n_bootstrap=0)
    assert all(g.metrics["selection_rate"] == 1.0 for g in result.groups)


def test_the_cli_audits_decisions_without_a_label(tmp_path):
    path = tmp_path / "decisions.csv"
    decisions().to_csv(path, index=False)
    target = tmp_path / "result.json"
    run = CliRunner().invoke(
        main,
        ["audit", str(path), "--prediction", "flag", "--sensitive", "district", "--json", str(target)],
    )
    assert run.exit_code == 0, run.output
    assert "need observed outcomes and are not computed" in run.output
    data = json.loads(target.read_text())
    assert data["columns"]["y_true"] is None and data["labelled"] is False
    assert {d["metric"] for d in data["disparities"]} == {"selection_rate"}


def test_the_web_form_runs_a_decision_only_audit_and_the_page_says_so(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    content = decisions().to_csv(index=False).encode()
    _url, page, response = run_audit(
        client, world.assessments["a"], content, y_true="", y_pred="flag", sensitive_features=["district"]
    )
    assert "— none: audit the decisions alone —" in page
    assert response.status_code == 302, response.get_data(as_text=True)
    jobs.wait_all(timeout=60)
    body = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "An audit of decisions alone." in body
    assert "false positive rate" in body.split('id="decision-only"')[1].split("</p>")[0]
    assert "none (decisions alone)" in body
    assert "False positive rate by district" not in body and "Selection rate by district" in body
    with app.app_context():
        record = db.session.get(FairnessAudit, int(response.headers["Location"].rsplit("/", 1)[1]))
        assert record.status == "done" and json.loads(record.settings)["y_true"] is None
