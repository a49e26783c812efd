"""Whether an audit had enough data to judge, and control of errors over its many comparisons.

Every figure is a normal approximation to the comparison of two proportions (or of two means of
proportions, for balanced accuracy), stated by the variance of each side:

* the smallest difference the audit could detect, at the audit's alpha (two-sided) and a power of 80 %, is
  ``(z[1 - alpha/2] + z[power]) · sqrt(var_group + var_reference)``, with both variances taken at the pooled
  rate (what the rates would be if there were no difference);
* the rows a group would need to detect the configured difference threshold keep the reference as it
  is and let the group grow at its present make-up;
* the p-value of a disparity tests whether the gap lies beyond the threshold (the same question the
  verdict asks of the interval), with the unpooled (Wald) standard error;
* Holm (family-wise error) and Benjamini–Hochberg (false discovery rate) adjust the p-values of all
  comparisons of one audit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from statistics import NormalDist

import numpy as np

POWER = 0.8
HOLM = "holm"
BENJAMINI_HOCHBERG = "bh"
NO_ADJUSTMENT = "none"
METHODS = (HOLM, BENJAMINI_HOCHBERG, NO_ADJUSTMENT)
METHOD_LABELS = {
    HOLM: "Holm (family-wise error rate)",
    BENJAMINI_HOCHBERG: "Benjamini–Hochberg (false discovery rate)",
    NO_ADJUSTMENT: "no adjustment",
}

_NORMAL = NormalDist()


@lru_cache(maxsize=64)
def z_sum(alpha: float, power: float = POWER) -> float:
    """``z[1 - alpha/2] + z[power]``: how many standard errors apart two rates must be to be detected."""
    return _NORMAL.inv_cdf(1 - alpha / 2) + _NORMAL.inv_cdf(power)


def rate_variance(rate: float, trials: int) -> float:
    """Variance of an observed proportion over ``trials``; a rate of exactly 0 or 1 counts as one event,
    so that a group without events is not taken to be measured without error."""
    if trials <= 0:
        return math.inf
    floor = 1 / (2 * trials)
    p = min(max(rate, floor), 1 - floor)
    return p * (1 - p) / trials


def detectable_difference(
    var_group: float, var_reference: float, alpha: float, power: float = POWER
) -> float:
    """The smallest difference detectable with probability ``power`` by a two-sided test at ``alpha``.

    Parameters
    ----------
    var_group, var_reference : float
        Variance of each side's estimate under no difference.
    alpha : float
        The audit's significance level, 1 - confidence.
    power : float, default 0.8

    Returns
    -------
    float
        In the metric's own units (a difference of proportions); infinite when a side has no rows.
    """
    return z_sum(alpha, power) * math.sqrt(var_group + var_reference)


def rows_to_detect(
    rows: int, var_group: float, var_reference: float, target: float, alpha: float, power: float = POWER
) -> int | None:
    """How many more rows the group needs for ``target`` to be detectable, the reference as it is.

    The group's variance shrinks as 1 / rows at its present make-up. 0 when ``target`` is detectable
    already; None when no number of rows of the group would do, because the reference alone is too
    uncertain (or the group has no rows to extrapolate from).
    """
    if rows <= 0 or not math.isfinite(var_group) or target <= 0:
        return None
    budget = (target / z_sum(alpha, power)) ** 2 - var_reference
    if budget <= 0:
        return None
    needed = math.ceil(rows * var_group / budget - 1e-9)
    return max(needed - rows, 0)


def beyond_threshold_p(estimate: float, standard_error: float, threshold: float) -> float:
    """Two-sided p-value that ``estimate`` lies beyond ``±threshold``, with the verdict's convention:
    below alpha exactly when the (1 - alpha) interval ``estimate ± z·se`` lies wholly beyond the threshold."""
    excess = abs(estimate) - threshold
    if not math.isfinite(estimate) or not math.isfinite(standard_error):
        return 1.0
    if standard_error <= 0:
        return 0.0 if excess > 0 else 1.0
    return min(1.0, 2 * _NORMAL.cdf(-excess / standard_error))


def adjust(p_values: Sequence[float], method: str) -> list[float]:
    """p-values adjusted for the number of comparisons, in the order given.

    Parameters
    ----------
    p_values : sequence of float
        Raw p-values of the comparisons of one audit.
    method : {"holm", "bh", "none"}
        Holm's step-down (controls the chance of any false disparity) or Benjamini–Hochberg's step-up
        (controls the expected share of false disparities among those reported).

    Returns
    -------
    list of float
        The adjusted p-values, each at least its raw p-value and at most 1.
    """
    if method not in METHODS:
        raise ValueError(f"Unknown multiple-comparison method {method!r}; use one of {', '.join(METHODS)}.")
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if m == 0 or method == NO_ADJUSTMENT:
        return [float(v) for v in p]
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if method == HOLM:
        stepped = np.maximum.accumulate((m - np.arange(m)) * ranked)
    else:
        stepped = np.minimum.accumulate((m / np.arange(1, m + 1) * ranked)[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return [float(v) for v in adjusted]
