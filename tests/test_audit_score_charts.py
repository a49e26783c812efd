"""Calibration by score band and the threshold sweep drawn on the audit page, each with a table beside it."""

import json

from test_audit_web import outputs_csv, run_audit

from hria.domain import jobs
from hria.domain.fairness_results import score_charts
from hria.domain.models import FairnessAudit
from hria.extensions import db


def small_result() -> dict:
    groups = [{"group": {"sex": s}, "family": "sex"} for s in ("f", "m")]
    bands = {
        "f": [{"band": 0, "observed_rate": 0.1}, {"band": 1, "observed_rate": 0.5}],
        "m": [{"band": 0, "observed_rate": 0.2}],
    }
    return {
        "groups": groups,
        "scores": {
            "decile_edges": [0.5],
            "thresholds": [0.25, 0.75],
            "calibration": [
                {"group": g["group"], "family": "sex", "bands": bands[g["group"]["sex"]]} for g in groups
            ],
            "threshold_sweep": [
                {
                    "group": g["group"],
                    "family": "sex",
                    "points": [
                        {
                            "threshold": t,
                            "selection_rate": r,
                            "false_positive_rate": r / 2,
                            "true_positive_rate": None,
                        }
                        for t, r in ((0.25, 0.8), (0.75, 0.3 if g["group"]["sex"] == "f" else 0.4))
                    ],
                }
                for g in groups
            ],
        },
    }


def test_each_group_gets_a_line_and_a_missing_band_stays_empty():
    calibration, selection, fpr, tpr = score_charts(small_result())
    assert calibration["x"] == ["1: below 0.5", "2: 0.5 and above"] and calibration["ticks"] == ["1", "2"]
    assert [s["values"] for s in calibration["series"]] == [[0.1, 0.5], [0.2, None]]
    assert selection["title"] == "Selection rate at each threshold, by sex"
    assert [s["values"] for s in selection["series"]] == [[0.8, 0.3], [0.8, 0.4]]
    assert [s["values"] for s in fpr["series"]] == [[0.4, 0.15], [0.4, 0.2]]
    assert tpr["series"][0]["values"] == [None, None]


def test_the_audit_page_draws_calibration_and_sweep_with_tables(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    _url, _page, response = run_audit(
        client,
        world.assessments["a"],
        outputs_csv(),
        y_true="two_year_recid",
        y_pred="high_risk",
        score="decile_score",
        sensitive_features=["race"],
    )
    jobs.wait_all(timeout=60)
    body = client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        record = db.session.get(FairnessAudit, int(response.headers["Location"].rsplit("/", 1)[1]))
        scores = json.loads(record.result)["scores"]
    black = next(c for c in scores["calibration"] if c["group"] == {"race": "Black"})
    first = black["bands"][0]["observed_rate"]
    assert "Calibration by score band, by race" in body
    assert "Selection rate at each threshold, by race" in body
    section = body.split('id="scores-heading"')[1].split("</section>")[0]
    assert section.count("<svg") == 4 and section.count("<table") == 4
    assert '<th scope="col">race Black</th>' in section
    assert f"<td>{first * 100:.1f} %</td>" in section
    assert 'class="series-line series-0"' in section and '<polyline points="40.0,' in section
