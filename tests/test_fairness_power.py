"""Is there enough data to judge, and how many comparisons were made: power and adjusted verdicts."""

import math

import pytest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower, zt_ind_solve_power
from test_fairness_verdicts import disparity, groups_with_rates

from fairness import DISPARITY, INCONCLUSIVE, TOO_SMALL, InputError, audit
from fairness import power as stats


def test_detectable_difference_is_the_textbook_formula():
    # (z_0.975 + z_0.8) * sqrt(0.25 / 100 + 0.25 / 100) = 2.801585 * 0.0707107 = 0.198102
    value = stats.detectable_difference(0.25 / 100, 0.25 / 100, alpha=0.05)
    assert math.isclose(value, 0.198102, abs_tol=5e-7)


@pytest.mark.parametrize(
    ("n_group", "n_reference", "rate", "alpha"), [(200, 800, 0.3, 0.05), (60, 4000, 0.5, 0.01)]
)
def test_detectable_difference_agrees_with_statsmodels(n_group, n_reference, rate, alpha):
    sd = math.sqrt(rate * (1 - rate))
    ours = stats.detectable_difference(sd**2 / n_group, sd**2 / n_reference, alpha=alpha)
    effect = NormalIndPower().solve_power(nobs1=n_group, ratio=n_reference / n_group, alpha=alpha, power=0.8)
    # statsmodels also counts the far tail, which moves the figure by less than 1e-5 here
    assert math.isclose(ours, effect * sd, rel_tol=1e-4)


def test_rows_needed_reach_80_percent_power_and_one_fewer_does_not():
    rate, n_group, n_reference, target = 0.4, 120, 5000, 0.1
    var = rate * (1 - rate)
    more = stats.rows_to_detect(n_group, var / n_group, var / n_reference, target, alpha=0.05)
    assert more == 76  # by hand: 0.24 / ((0.1 / 2.801585)^2 - 0.24 / 5000) = 195.7 → 196 rows, 76 more

    def power(rows):
        return NormalIndPower().power(
            effect_size=target / math.sqrt(var), nobs1=rows, ratio=n_reference / rows, alpha=0.05
        )

    assert power(n_group + more) >= 0.8 > power(n_group + more - 1)
    # with equal groups statsmodels solves the same question directly
    equal = stats.rows_to_detect(100, var / 100, var / 10**12, target, alpha=0.05)
    assert equal + 100 == math.ceil(
        zt_ind_solve_power(effect_size=target / math.sqrt(var), alpha=0.05, power=0.8, ratio=10**10)
    )


def test_a_reference_too_uncertain_makes_the_threshold_unreachable():
    assert stats.rows_to_detect(100, 0.25 / 100, 0.25 / 150, 0.1, alpha=0.05) is None
    assert stats.rows_to_detect(1000, 0.25 / 1000, 0.25 / 5000, 0.1, alpha=0.05) == 0


@pytest.mark.parametrize("method,theirs", [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjusted_p_values_match_statsmodels(method, theirs):
    raw = [0.01, 0.04, 0.03, 0.005, 0.2, 0.04, 0.9]
    expected = multipletests(raw, method=theirs)[1]
    assert stats.adjust(raw, method) == pytest.approx(list(expected), abs=1e-12)
    assert stats.adjust(raw, "none") == raw


def test_the_p_value_is_below_alpha_exactly_when_the_interval_clears_the_threshold():
    z = 1.959963984540054
    assert stats.beyond_threshold_p(-0.2, 0.05, 0.1) == pytest.approx(2 * (1 - 0.9772498680518208))
    assert stats.beyond_threshold_p(0.1 + z * 0.05 + 1e-6, 0.05, 0.1) < 0.05
    assert stats.beyond_threshold_p(0.1 + z * 0.05 - 1e-6, 0.05, 0.1) > 0.05
    assert stats.beyond_threshold_p(0.05, 0.05, 0.1) == 1.0


def test_a_group_too_small_for_the_threshold_is_not_called_inconclusive():
    # 22 of 60 selected against 2,000 of 4,000: the interval decides nothing, and 60 rows could only
    # detect a gap of 0.182 (pooled rate 2,022 / 4,060), so 147 more rows are needed for 0.1.
    df = groups_with_rates({"ref": (4000, 0.5), "small": (60, 0.37), "enough": (800, 0.37)})
    result = audit(df, "outcome", "decision", sensitive_features="group", n_bootstrap=2000, random_state=1)
    small = disparity(result, "selection_rate", "small")
    assert small.verdict == TOO_SMALL
    assert small.detectable_difference == pytest.approx(0.18219, abs=5e-5)
    assert small.rows_needed == 147
    enough = disparity(result, "selection_rate", "enough")
    assert enough.verdict == INCONCLUSIVE and enough.rows_needed == 0
    assert enough.detectable_difference == pytest.approx(0.0542, abs=1e-4)
    assert not next(g for g in result.groups if g.group == {"group": "small"}).too_small


def test_holm_withdraws_borderline_disparities_that_benjamini_hochberg_keeps():
    spec = {"ref": (20000, 0.5)} | {f"g{k}": (1500, 0.36) for k in range(8)}
    df = groups_with_rates(spec)
    runs = {
        method: audit(
            df,
            "outcome",
            "decision",
            sensitive_features="group",
            n_bootstrap=2000,
            random_state=1,
            multiple_comparisons=method,
        )
        for method in ("none", "holm", "bh")
    }
    raw = disparity(runs["none"], "selection_rate", "g0")
    holm = disparity(runs["holm"], "selection_rate", "g0")
    bh = disparity(runs["bh"], "selection_rate", "g0")
    assert raw.verdict == holm.verdict == bh.verdict == DISPARITY
    assert raw.p_value == pytest.approx(0.00191, abs=1e-5)
    tested = sum(d.p_value is not None for d in runs["holm"].disparities)
    assert tested == 88
    assert holm.adjusted_verdict == INCONCLUSIVE and holm.adjusted_p_value > 0.05
    assert bh.adjusted_verdict == DISPARITY and bh.adjusted_p_value < 0.05
    assert runs["holm"].parameters["multiple_comparisons"] == "holm"
    assert holm not in runs["holm"].findings() and bh in runs["bh"].findings()
    as_json = runs["holm"].to_dict()["disparities"][0]
    assert {"p_value", "adjusted_p_value", "adjusted_verdict", "detectable_difference", "rows_needed"} <= set(
        as_json
    )


def test_an_unknown_method_is_refused_in_words():
    df = groups_with_rates({"a": (100, 0.5), "b": (100, 0.4)})
    with pytest.raises(InputError, match="holm, bh, none"):
        audit(df, "outcome", "decision", sensitive_features="group", multiple_comparisons="bonferroni")
