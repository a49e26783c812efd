"""How fairness results read: ratios that cannot be estimated say so and why, the intersections' reference
holds the chosen reference value, rate charts are scaled to their rates with the reference and its threshold
band drawn, and the link to the rest of the findings opens the table it points to."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from browser import chromium_page, live_server, sign_in
from click.testing import CliRunner
from conftest import PASSWORD

from fairness import DISPARITY, INCONCLUSIVE, TOO_SMALL, audit
from fairness.ratios import min_events, not_estimable
from fairness.scales import rate_axis, threshold_band
from hria.cli import main
from hria.domain.fairness_results import finding_sentence, present, with_ratio_notes
from hria.domain.models import FairnessAudit
from hria.extensions import db

ONE_IN_107 = (
    "not estimable: the group has 1 positive decision in 107 rows; a ratio needs at least 4 positive "
    "decisions in each group, or chance alone could make it 0 or without limit"
)


def selected(spec: dict[str, tuple[int, int]], column: str = "group") -> pd.DataFrame:
    """Exact counts per group: {group: (rows, positive decisions)}; outcomes alternate 0, 1."""
    frames = [
        pd.DataFrame(
            {column: name, "decision": [1] * chosen + [0] * (n - chosen), "outcome": np.resize([0, 1], n)}
        )
        for name, (n, chosen) in spec.items()
    ]
    return pd.concat(frames, ignore_index=True)


def comparison(result, group: str, metric: str = "selection_rate"):
    return next(d for d in result.disparities if d.metric == metric and d.group == {"group": group})


# -- ratios that cannot be estimated


def test_the_fewest_events_a_ratio_needs_follow_from_the_confidence():
    # e^-x below the interval's tail (1 - confidence) / 2
    assert (min_events(0.95), min_events(0.99), min_events(0.9)) == (4, 6, 3)
    assert not_estimable("selection_rate", [103, 4, 0, 0], [600, 400, 0, 0], 0.95) is None
    assert not_estimable("selection_rate", [104, 3, 0, 0], [600, 400, 0, 0], 0.95) == (
        "not estimable: the group has 3 positive decisions in 107 rows; a ratio needs at least 4 positive "
        "decisions in each group, or chance alone could make it 0 or without limit"
    )
    assert not_estimable("true_positive_rate", [50, 50, 0, 0], [10, 10, 10, 10], 0.95) == (
        "not estimable: the group has no observed positives, so the true positive rate is undefined"
    )


def test_one_positive_decision_in_107_rows_gives_no_ratio_but_a_difference():
    result = audit(
        selected({"ref": (1000, 400), "few": (107, 1)}), "outcome", "decision", sensitive_features="group"
    )
    d = comparison(result, "few")
    assert d.ratio_not_estimable == ONE_IN_107
    assert d.ratio_interval == [None, None]
    # the difference (0.9 % against 40 %) is far beyond 10 points: a disparity on the difference alone
    assert d.verdict == DISPARITY and d.difference_interval[1] < -0.1
    sentence = finding_sentence(result.to_dict()["disparities"][0], 0.95)
    assert "times as much" not in sentence
    assert sentence.startswith(
        "Group few: selection rate 0.9 % against 40.0 % for group ref, a difference of -39.1"
    )
    assert sentence.endswith(f"; the ratio is {ONE_IN_107}.")
    assert json.loads(result.to_json())["disparities"][0]["ratio_not_estimable"] == ONE_IN_107


def test_a_group_without_positive_decisions_is_not_a_disparity_by_its_ratio():
    # 0 of 107 against 1 %: about one positive decision was expected, so 0 proves nothing; the ratio's
    # bootstrap interval was [0, 0] and made it a "disparity" of 0.00 times as much
    result = audit(
        selected({"ref": (3000, 30), "none": (107, 0)}), "outcome", "decision", sensitive_features="group"
    )
    d = comparison(result, "none")
    assert d.ratio == 0.0 and d.ratio_interval == [None, None]
    assert d.ratio_not_estimable.startswith("not estimable: the group has 0 positive decisions in 107 rows;")
    assert d.verdict in (INCONCLUSIVE, TOO_SMALL)
    assert d.adjusted_verdict != DISPARITY


def test_results_kept_before_the_rule_get_it_from_their_counts():
    result = audit(
        selected({"ref": (1000, 400), "few": (107, 1)}), "outcome", "decision", sensitive_features="group"
    ).to_dict()
    for d in result["disparities"]:
        del d["ratio_not_estimable"]
        d["ratio_interval"] = [0.0, 0.0]
    upgraded = with_ratio_notes(result)
    d = next(d for d in upgraded["disparities"] if d["metric"] == "selection_rate")
    assert d["ratio_not_estimable"] == ONE_IN_107 and d["ratio_interval"] == [None, None]


def test_the_command_line_marks_the_ratio_and_says_why(tmp_path):
    path = tmp_path / "outputs.csv"
    selected({"ref": (1000, 400), "few": (107, 1)}).to_csv(path, index=False)
    out = CliRunner().invoke(
        main, ["audit", str(path), "--label", "outcome", "--prediction", "decision", "--sensitive", "group"]
    )
    assert out.exit_code == 0, out.output
    row = next(
        line for line in out.output.splitlines() if line.startswith("group=few") and "selected" in line
    )
    assert "not estimable*" in row
    assert f"  * group=few, selected: {ONE_IN_107.removeprefix('not estimable: ')}" in out.output
    assert "Reference groups: group=ref (the largest group)" in out.output


# -- the reference of the intersections


def compas_shaped() -> pd.DataFrame:
    """More African-American than Caucasian rows, more men than women: the largest intersection is
    (African-American, Male), which must not be the reference when race=Caucasian is."""
    cells = {
        ("African-American", "Male"): (500, 250),
        ("African-American", "Female"): (100, 40),
        ("Caucasian", "Male"): (300, 90),
        ("Caucasian", "Female"): (100, 25),
    }
    frames = [
        pd.DataFrame(
            {
                "race": race,
                "sex": sex,
                "decision": [1] * chosen + [0] * (n - chosen),
                "outcome": np.resize([0, 1], n),
            }
        )
        for (race, sex), (n, chosen) in cells.items()
    ]
    return pd.concat(frames, ignore_index=True)


def test_the_intersections_are_compared_with_the_chosen_race():
    result = audit(
        compas_shaped(),
        "outcome",
        "decision",
        sensitive_features=["race", "sex"],
        reference={"race": "Caucasian"},
        n_bootstrap=0,
    )
    references = result.parameters["references"]
    assert references["race"] == {"race": "Caucasian"}
    assert references["sex"] == {"sex": "Male"}
    assert references["intersection"] == {"race": "Caucasian", "sex": "Male"}
    assert result.parameters["reference_basis"] == {
        "race": "chosen",
        "sex": "the largest group",
        "intersection": "the largest intersection with race Caucasian",
    }
    intersections = [d for d in result.disparities if d.family == "intersection"]
    assert {tuple(d.reference.values()) for d in intersections} == {("Caucasian", "Male")}
    page = present(result.to_dict())
    assert page["reference_sentence"] == (
        "Reference groups: race Caucasian (chosen); sex Male (the largest group); for the intersections, "
        "race Caucasian, sex Male (the largest intersection with race Caucasian)."
    )


def test_a_reference_for_every_column_fixes_the_intersection_and_none_takes_the_largest():
    both = audit(
        compas_shaped(),
        "outcome",
        "decision",
        sensitive_features=["race", "sex"],
        reference={"race": "Caucasian", "sex": "Female"},
        n_bootstrap=0,
    )
    assert both.parameters["references"]["intersection"] == {"race": "Caucasian", "sex": "Female"}
    assert both.parameters["reference_basis"]["intersection"] == "chosen"
    default = audit(compas_shaped(), "outcome", "decision", sensitive_features=["race", "sex"], n_bootstrap=0)
    assert default.parameters["references"]["intersection"] == {"race": "African-American", "sex": "Male"}
    assert default.parameters["reference_basis"]["intersection"] == "the largest intersection"


# -- rate charts scaled to their rates


def test_the_axis_ends_a_little_above_the_largest_figure():
    assert rate_axis([0.02, 0.045, 0.07, 0.0875]) == (0.1, [0.0, 0.025, 0.05, 0.075, 0.1])
    assert rate_axis([0.02, 0.03]) == (0.04, [0.0, 0.01, 0.02, 0.03, 0.04])
    assert rate_axis([0.3, 0.58]) == (0.8, [0.0, 0.2, 0.4, 0.6, 0.8])
    assert rate_axis([0.97]) == (1.0, [0.0, 0.25, 0.5, 0.75, 1.0])
    assert rate_axis([None, 0.0]) == (1.0, [0.0, 0.25, 0.5, 0.75, 1.0])
    assert threshold_band(0.05, 0.8) == pytest.approx((0.04, 0.0625))


def two_to_seven_percent() -> dict:
    """Selection rates of 2, 4.5 and 7 % in 1,000 rows each; the reference is the 7 % group."""
    df = selected({"a": (1000, 20), "b": (1000, 45), "c": (1000, 70)})
    return audit(
        df, "outcome", "decision", sensitive_features="group", reference={"group": "c"}, n_bootstrap=0
    ).to_dict()


def test_the_web_chart_of_two_to_seven_percent_ends_at_ten_percent():
    result = two_to_seven_percent()
    chart = next(c for c in present(result)["charts"] if c["metric"] == "selection_rate")
    c = next(g for g in result["groups"] if g["group"] == {"group": "c"})
    # the largest figure is the 7 % group's upper Wilson bound, 8.75 %
    assert round(c["intervals"]["selection_rate"][1], 4) == 0.0875
    assert chart["top"] == 0.1
    assert [label for _, label in chart["ticks"]] == ["0%", "2.5%", "5%", "7.5%", "10%"]
    assert chart["reference_rate"] == 0.07 and chart["band"] == pytest.approx((0.056, 0.0875))


def test_the_pdf_chart_of_two_to_seven_percent_ends_at_ten_percent():
    from reportlab.graphics.shapes import Line, Rect, String

    from reports import charts
    from reports.fonts import ReportFonts
    from reports.labels import LABELS

    result = two_to_seven_percent()
    groups = [
        {**g, "name": f"group {g['group']['group']}", "intervals": g["intervals"]} for g in result["groups"]
    ]
    drawing = charts.rate_chart(
        groups, "selection_rate", "group c", LABELS["en"], ReportFonts("en"), 400, [0.8, 1.25]
    )
    texts = [s.text for s in drawing.contents if isinstance(s, String)]
    assert texts[:5] == ["0%", "2.5%", "5%", "7.5%", "10%"]
    assert "100%" not in texts and "dashed: the reference group's rate; shaded: 0.80–1.25 times it" in texts
    plot_x, plot_w = 400 * 0.3 + 6, 400 - 400 * 0.3 - 48 - 10
    band = next(s for s in drawing.contents if isinstance(s, Rect) and s.fillColor == charts.BAND)
    assert band.x == pytest.approx(plot_x + 0.056 / 0.1 * plot_w)
    assert band.width == pytest.approx((0.0875 - 0.056) / 0.1 * plot_w)
    [dashed] = [s for s in drawing.contents if isinstance(s, Line) and s.strokeDashArray]
    assert dashed.x1 == dashed.x2 == pytest.approx(plot_x + 0.7 * plot_w)


# -- the rest of the findings, one link away


def many_findings() -> dict:
    """Fourteen groups each selected far less often than the reference: more findings than the page lists."""
    spec = {"ref": (3000, 1500)} | {f"g{k:02d}": (300, 30) for k in range(14)}
    return audit(selected(spec), "outcome", "decision", sensitive_features="group", n_bootstrap=200).to_dict()


def finished_audit(app, world, result: dict) -> int:
    with app.app_context():
        record = db.session.get(FairnessAudit, world.audits["a"])
        record.status = "done"
        record.error = ""
        record.settings = json.dumps(
            {"y_true": "outcome", "y_pred": "decision", "sensitive_features": ["group"]}
        )
        record.result = json.dumps(result)
        db.session.commit()
        return record.id


def test_the_rest_of_the_findings_link_to_the_open_table(app, client, world, auth):
    result = many_findings()
    audit_id = finished_audit(app, world, result)
    auth.login(world.users["procurer_a"])
    body = client.get(f"/audits/{audit_id}").get_data(as_text=True)
    findings = len(present(result)["findings"])
    assert findings > 12
    assert f'<a href="#every-comparison">{findings - 12} more in the table of every comparison</a>' in body
    assert re.search(r'<details id="every-comparison" open>', body)
    # rates of 10 % and 50 %, the upper bound 51.8 %: the axis ends at 60 %, not 100 %
    assert re.search(r'aria-labelledby="chart-group-selection_rate"[^>]*data-axis-top="0.6"', body)


def test_few_findings_leave_the_table_closed(app, client, world, auth):
    audit_id = finished_audit(app, world, two_to_seven_percent())
    auth.login(world.users["procurer_a"])
    body = client.get(f"/audits/{audit_id}").get_data(as_text=True)
    assert '<details id="every-comparison">' in body and "#every-comparison" not in body


@pytest.mark.browser
def test_following_the_link_shows_the_table_in_chromium(app, world):
    audit_id = finished_audit(app, world, many_findings())
    with live_server(app) as base, chromium_page() as page:
        sign_in(page, base, world.users["procurer_a"], PASSWORD)
        page.goto(f"{base}/audits/{audit_id}")
        page.get_by_role("link", name=re.compile(r"more in the table of every comparison")).click()
        page.wait_for_url(re.compile(r"#every-comparison$"))
        table = page.locator("#every-comparison table")
        assert table.is_visible()
        assert page.locator("#every-comparison").evaluate("d => d.open") is True
        # the table is scrolled into view
        box = table.bounding_box()
        assert box is not None and box["y"] < page.viewport_size["height"]


# -- the report


def test_the_forest_plot_lists_a_ratio_that_cannot_be_estimated_instead_of_drawing_it():
    from reportlab.graphics.shapes import Circle, Line, String

    from reports import charts
    from reports.fonts import ReportFonts
    from reports.labels import LABELS

    rows = [
        charts.ForestRow("group few · Selection rate", None, None, None, "disparity", "disparity", True),
        charts.ForestRow("group b · Selection rate", 0.5, 0.4, 0.6, "disparity", "disparity"),
    ]
    drawing = charts.forest_plot(rows, [0.8, 1.25], LABELS["en"], ReportFonts("en"), 400)
    assert len([s for s in drawing.contents if isinstance(s, Circle)]) == 1  # only group b's point
    assert "not estimable" in [s.text for s in drawing.contents if isinstance(s, String)]
    interval_lines = [s for s in drawing.contents if isinstance(s, Line) and s.strokeWidth == 1.0]
    assert len(interval_lines) == 1


def test_the_report_says_why_a_ratio_is_not_estimable(app, world, tmp_path):
    import subprocess

    from test_report_pages import welfare_content

    from hria.domain import reporting
    from hria.domain.models import Assessment
    from reports import build_report

    finished_audit(
        app,
        world,
        audit(
            selected({"ref": (1000, 400), "few": (107, 1)}), "outcome", "decision", sensitive_features="group"
        ).to_dict(),
    )
    with app.app_context():
        [entry], _ = reporting._checks(db.session.get(Assessment, world.assessments["a"]))
    few = next(v for v in entry["verdicts"] if v["group"] == "group few" and v["metric"] == "selection_rate")
    assert few["not_estimable"] == ONE_IN_107 and few["verdict"] == "disparity"
    assert entry["findings"][0].endswith(f"; the ratio is {ONE_IN_107}.")

    content = welfare_content()
    content["fairness"][0]["verdicts"].insert(0, few | {"group": "nationality stateless"})
    path = tmp_path / "report.pdf"
    path.write_bytes(build_report(content))
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout.replace("\n", " ")
    assert "nationality stateless · Selection rate" in first
    assert (
        "nationality stateless vs group ref, Selection rate: not estimable (the group has 1 positive "
        "decision in 107 rows;" in first
    )
    assert "0.00 (" not in first


def test_the_table_of_every_comparison_marks_the_ratio_and_states_the_rule(app, client, world, auth):
    result = audit(
        selected({"ref": (1000, 400), "few": (107, 1)}), "outcome", "decision", sensitive_features="group"
    ).to_dict()
    audit_id = finished_audit(app, world, result)
    auth.login(world.users["procurer_a"])
    body = client.get(f"/audits/{audit_id}").get_data(as_text=True)
    assert (
        'not estimable <span class="muted small-text">(the group has 1 positive decision in 107 rows)</span>'
        in body
    )
    assert "or fewer than 4 of what the rate counts (positive decisions for the selection rate)" in body
    assert "0.00 times as much" not in body and "(95% interval of the ratio 0.00–0.00)" not in body
    assert f"; the ratio is {ONE_IN_107}.</li>" in body  # the finding in words
    assert "Reference groups: group ref (the largest group)." in body
