"""Whether the ratio of a group's rate to its reference group's rate can be estimated, and why not in words.

The rule. A ratio of two rates, x1 / n1 over x2 / n2 (x: the events the rate counts, such as positive
decisions; n: the rows it counts them among), is *not estimable* when

1. either rate is undefined (n = 0), or either rate is 0 (x = 0): the ratio would read 0, or have no upper
   end, whatever the gap between the groups; or
2. either side has fewer events than ``min_events(confidence)``. The audit's bootstrap resamples the whole
   table; a side with x events draws none of them in about e^-x of the resamples, and once that share
   exceeds the tail of the interval, (1 - confidence) / 2, the ratio's interval reaches 0 or has no upper
   end: it bounds nothing. That is fewer than 4 events at 95 %, fewer than 6 at 99 %.

Balanced accuracy, the mean of two rates, is not estimable where it is undefined or 0.

A ratio that is not estimable is neither drawn nor judged: its interval is left out, and the verdict rests on
the difference alone, which stays meaningful when a rate is 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from .counts import FN, FP, TN, TP
from .metrics import BALANCED_ACCURACY, METRIC_LABELS, RATE_BY_NAME, Rate

COUNT_KEYS = {"tn": TN, "fp": FP, "fn": FN, "tp": TP}


def min_events(confidence: float) -> int:
    """The fewest events each side of a ratio needs: the smallest x with e^-x below (1 - confidence) / 2.

    Examples
    --------
    >>> min_events(0.95), min_events(0.99), min_events(0.9)
    (4, 6, 3)
    """
    return math.floor(math.log(2 / (1 - confidence))) + 1


def counts_array(counts: Mapping[str, int]) -> np.ndarray:
    """A group's stored counts ``{"tn", "fp", "fn", "tp"}`` as the [TN, FP, FN, TP] array of the engine."""
    out = np.zeros(4, dtype=np.int64)
    for key, position in COUNT_KEYS.items():
        out[position] = int(counts.get(key, 0))
    return out


def not_estimable(
    metric: str, group: np.ndarray | Sequence[int], reference: np.ndarray | Sequence[int], confidence: float
) -> str | None:
    """Why the ratio of ``metric`` between a group and its reference cannot be estimated; None when it can.

    Parameters
    ----------
    metric : str
        One of ``METRIC_NAMES``.
    group, reference : array of 4 ints
        The confusion counts [TN, FP, FN, TP] of the group and of its reference group.
    confidence : float
        The audit's confidence level, which sets ``min_events``.

    Returns
    -------
    str or None
        A sentence for a reader without statistics, starting "not estimable: ", e.g. "not estimable: the
        group has 1 positive decision in 107 rows; a ratio needs at least 4 positive decisions in each group,
        or chance alone could make it 0 or without limit".
    """
    group, reference = np.asarray(group), np.asarray(reference)
    if metric == BALANCED_ACCURACY:
        return _balanced_accuracy(group, reference)
    rate = RATE_BY_NAME[metric]
    sides = (("the group", group), ("the reference group", reference))
    undefined = [who for who, counts in sides if _parts(rate, counts)[1] == 0]
    if undefined:
        whom, verb = " and ".join(undefined), "have" if len(undefined) > 1 else "has"
        return f"not estimable: {whom} {verb} no {rate.trials[1]}, so the {rate.label} is undefined"
    needed = min_events(confidence)
    short = [(who, *_parts(rate, counts)) for who, counts in sides if _parts(rate, counts)[0] < needed]
    if not short:
        return None
    facts = " and ".join(
        f"{who} has {_count(x, rate.events)} in {_count(n, rate.trials)}" for who, x, n in short
    )
    return (
        f"not estimable: {facts}; a ratio needs at least {needed} {rate.events[1]} in each group, or chance "
        f"alone could make it 0 or without limit"
    )


def _parts(rate: Rate, counts: np.ndarray) -> tuple[int, int]:
    num, den = rate.parts(counts)
    return int(num), int(den)


def _count(n: int, nouns: tuple[str, str]) -> str:
    return f"{n:,} {nouns[0] if n == 1 else nouns[1]}"


def _balanced_accuracy(group: np.ndarray, reference: np.ndarray) -> str | None:
    label = METRIC_LABELS[BALANCED_ACCURACY]
    for who, counts in (("the group", group), ("the reference group", reference)):
        tpr = _parts(RATE_BY_NAME["true_positive_rate"], counts)
        tnr = _parts(RATE_BY_NAME["true_negative_rate"], counts)
        if tpr[1] == 0 or tnr[1] == 0:
            return (
                f"not estimable: the {label} of {who} is undefined (it needs positive and negative outcomes)"
            )
        if tpr[0] == 0 and tnr[0] == 0:
            return f"not estimable: the {label} of {who} is 0"
    return None
