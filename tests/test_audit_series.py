"""Audits over time: two audits with the same definitions compared, and the change found with its interval."""

import json
import math

import pytest
from click.testing import CliRunner
from test_fairness_verdicts import groups_with_rates

from fairness import DISPARITY, NO_EVIDENCE, InputError, audit
from fairness.compare import compare
from hria.cli import main


def run(rate_b: float, n_bootstrap=2000):
    df = groups_with_rates({"a": (3000, 0.5), "b": (2000, rate_b)})
    return audit(
        df, "outcome", "decision", sensitive_features="group", n_bootstrap=n_bootstrap, random_state=3
    )


def selection(changes, group="b"):
    return next(c for c in changes if c.metric == "selection_rate" and c.group == {"group": group})


def test_a_later_interval_excluding_the_earlier_estimate_is_a_change():
    earlier, later = run(0.47), run(0.30)
    change = selection(compare(earlier.to_dict(), later.to_dict()))
    assert change.earlier == pytest.approx(-0.03) and change.later == pytest.approx(-0.20)
    assert change.change == pytest.approx(-0.17)
    assert change.changed
    assert change.earlier_verdict == NO_EVIDENCE and change.later_verdict == DISPARITY
    assert len(change.reasons) == 2 and "excludes the earlier difference -0.030" in change.reasons[0]
    e_low, e_high = earlier.disparities[0].difference_interval
    l_low, l_high = later.disparities[0].difference_interval
    half = math.hypot((e_high - e_low) / 2, (l_high - l_low) / 2)
    assert change.change_interval == pytest.approx([-0.17 - half, -0.17 + half])
    assert 0.035 < half < 0.045  # two intervals of about ±0.028 each


def test_the_same_rates_again_are_no_change():
    first, again = run(0.47), run(0.47)
    assert not any(c.changed for c in compare(first.to_dict(), again.to_dict()))


def test_audits_with_other_definitions_are_not_compared():
    earlier = run(0.47).to_dict()
    df = groups_with_rates({"a": (3000, 0.5), "b": (2000, 0.47)})
    other = audit(df, "outcome", "decision", sensitive_features="group", reference={"group": "b"})
    with pytest.raises(InputError, match="same definitions"):
        compare(earlier, other.to_dict())


def test_the_cli_prints_and_writes_the_changes(tmp_path):
    earlier_csv, later_csv = tmp_path / "q1.csv", tmp_path / "q3.csv"
    groups_with_rates({"a": (3000, 0.5), "b": (2000, 0.47)}).to_csv(earlier_csv, index=False)
    groups_with_rates({"a": (3000, 0.5), "b": (2000, 0.30)}).to_csv(later_csv, index=False)
    args = ["--label", "outcome", "--prediction", "decision", "--sensitive", "group"]
    earlier_json, later_json = tmp_path / "q1.json", tmp_path / "q3.json"
    first = CliRunner().invoke(main, ["audit", str(earlier_csv), *args, "--json", str(earlier_json)])
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(
        main, ["audit", str(later_csv), *args, "--compare", str(earlier_json), "--json", str(later_json)]
    )
    assert second.exit_code == 0, second.output
    assert f"Changes since {earlier_json}:" in second.output
    assert "no evidence of disparity → disparity" in second.output
    data = json.loads(later_json.read_text())
    moved = next(
        c for c in data["comparison"] if c["metric"] == "selection_rate" and c["group"] == {"group": "b"}
    )
    assert moved["changed"] and moved["change"] == pytest.approx(-0.17)
    assert moved["change_interval"][1] < 0
    not_json = tmp_path / "notes.json"
    not_json.write_text("[1, 2]")
    refused = CliRunner().invoke(main, ["audit", str(later_csv), *args, "--compare", str(not_json)])
    assert refused.exit_code == 2 and "is not the JSON of an audit" in refused.output
