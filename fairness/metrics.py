"""The group metrics, each defined once as a ratio of confusion counts, and their intervals."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from .counts import FN, FP, TN, TP


@dataclass(frozen=True)
class Rate:
    """A metric that is a proportion: numerator cells over denominator cells."""

    name: str
    label: str
    numerator: tuple[int, ...]
    denominator: tuple[int, ...]
    needs_labels: bool = True
    # What the numerator and the denominator count, singular and plural, for sentences such as
    # "1 positive decision in 107 rows".
    events: tuple[str, str] = ("event", "events")
    trials: tuple[str, str] = ("row", "rows")

    def of(self, counts: np.ndarray) -> np.ndarray:
        """The rate for counts of shape (..., 4); NaN where the denominator is zero."""
        num = counts[..., list(self.numerator)].sum(axis=-1)
        den = counts[..., list(self.denominator)].sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)

    def parts(self, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return counts[..., list(self.numerator)].sum(axis=-1), counts[..., list(self.denominator)].sum(
            axis=-1
        )


ALL = (TN, FP, FN, TP)
DECISIONS = ("positive decision", "positive decisions")
OBSERVED_POSITIVES = ("observed positive", "observed positives")
OBSERVED_NEGATIVES = ("observed negative", "observed negatives")
NEGATIVE_DECISIONS = ("negative decision", "negative decisions")
RATES = (
    Rate("selection_rate", "selection rate", (FP, TP), ALL, needs_labels=False, events=DECISIONS),
    Rate("base_rate", "base rate (observed positives)", (FN, TP), ALL, events=OBSERVED_POSITIVES),
    Rate(
        "true_positive_rate",
        "true positive rate",
        (TP,),
        (TP, FN),
        events=("true positive", "true positives"),
        trials=OBSERVED_POSITIVES,
    ),
    Rate(
        "false_positive_rate",
        "false positive rate",
        (FP,),
        (FP, TN),
        events=("false positive", "false positives"),
        trials=OBSERVED_NEGATIVES,
    ),
    Rate(
        "true_negative_rate",
        "true negative rate",
        (TN,),
        (FP, TN),
        events=("true negative", "true negatives"),
        trials=OBSERVED_NEGATIVES,
    ),
    Rate(
        "false_negative_rate",
        "false negative rate",
        (FN,),
        (TP, FN),
        events=("false negative", "false negatives"),
        trials=OBSERVED_POSITIVES,
    ),
    Rate(
        "precision",
        "precision (positive predictive value)",
        (TP,),
        (TP, FP),
        events=("true positive", "true positives"),
        trials=DECISIONS,
    ),
    Rate(
        "negative_predictive_value",
        "negative predictive value",
        (TN,),
        (TN, FN),
        events=("true negative", "true negatives"),
        trials=NEGATIVE_DECISIONS,
    ),
    Rate(
        "false_discovery_rate",
        "false discovery rate",
        (FP,),
        (TP, FP),
        events=("false positive", "false positives"),
        trials=DECISIONS,
    ),
    Rate(
        "false_omission_rate",
        "false omission rate",
        (FN,),
        (TN, FN),
        events=("false negative", "false negatives"),
        trials=NEGATIVE_DECISIONS,
    ),
    Rate("accuracy", "accuracy", (TP, TN), ALL, events=("correct decision", "correct decisions")),
)
RATE_BY_NAME = {rate.name: rate for rate in RATES}
BALANCED_ACCURACY = "balanced_accuracy"
METRIC_NAMES = (*(rate.name for rate in RATES), BALANCED_ACCURACY)
METRIC_LABELS = {rate.name: rate.label for rate in RATES} | {BALANCED_ACCURACY: "balanced accuracy"}
# What an audit of decisions alone (no observed outcomes) can compute; every other metric needs labels.
LABEL_FREE_METRICS = tuple(rate.name for rate in RATES if not rate.needs_labels)
METRICS_NEEDING_LABELS = tuple(name for name in METRIC_NAMES if name not in LABEL_FREE_METRICS)


def balanced_accuracy(counts: np.ndarray) -> np.ndarray:
    """Mean of the true positive and true negative rates (NaN unless both classes occur)."""
    mean: np.ndarray = (
        RATE_BY_NAME["true_positive_rate"].of(counts) + RATE_BY_NAME["true_negative_rate"].of(counts)
    ) / 2
    return mean


def metric_values(counts: np.ndarray) -> dict[str, np.ndarray]:
    values = {rate.name: rate.of(counts) for rate in RATES}
    values[BALANCED_ACCURACY] = balanced_accuracy(counts)
    return values


def wilson_interval(
    successes: np.ndarray, trials: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for proportions; NaN where there are no trials."""
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    n = np.asarray(trials, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.asarray(successes, dtype=float) / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high
