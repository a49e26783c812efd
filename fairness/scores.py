"""Analyses that need the score itself: AUC, calibration by score band, and a threshold sweep.

They work from the table of (cell, score, outcome) → rows that the one pass builds,
so they are exact on data read in chunks.
"""

from __future__ import annotations

import math
from typing import TypedDict

import numpy as np
import pandas as pd

N_SWEEP = 19

# "from" is a keyword, hence the functional form.
CalibrationBand = TypedDict(
    "CalibrationBand",
    {
        "band": int,
        "from": float | None,
        "below": float | None,
        "count": int,
        "mean_score": float,
        "observed_rate": float,
    },
)


class SweepPoint(TypedDict):
    """The rates a group would have with decisions taken at one threshold of the score."""

    threshold: float
    selection_rate: float
    true_positive_rate: float | None
    false_positive_rate: float | None


class GroupCalibration(TypedDict):
    group: dict[str, str]
    family: str
    bands: list[CalibrationBand]


class GroupSweep(TypedDict):
    group: dict[str, str]
    family: str
    points: list[SweepPoint]


class ScoreAnalysis(TypedDict):
    """What the score tells per group, in the order of the audit's groups."""

    auc: list[float | None]
    decile_edges: list[float]
    calibration: list[GroupCalibration]
    thresholds: list[float]
    threshold_sweep: list[GroupSweep]


def _per_score(table: pd.DataFrame, cells: np.ndarray) -> pd.DataFrame:
    """Positives and negatives at each distinct score, for the rows of the given cells."""
    part = table[table["cell"].isin(cells)]
    pivot = part.pivot_table(index="score", columns="y", values="n", aggfunc="sum", fill_value=0)
    return pivot.reindex(columns=[0, 1], fill_value=0).rename(columns={0: "neg", 1: "pos"}).sort_index()


def auc(per_score: pd.DataFrame) -> float | None:
    """Probability that a positive scores above a negative, ties counting half (= ROC AUC)."""
    pos, neg = per_score["pos"].to_numpy(float), per_score["neg"].to_numpy(float)
    if pos.sum() == 0 or neg.sum() == 0:
        return None
    below = np.cumsum(neg) - neg
    return float((pos * (below + 0.5 * neg)).sum() / (pos.sum() * neg.sum()))


def _weighted_quantiles(per_score: pd.DataFrame, qs: np.ndarray) -> np.ndarray:
    counts = (per_score["pos"] + per_score["neg"]).to_numpy(float)
    cumulative = np.cumsum(counts) / counts.sum()
    positions = np.searchsorted(cumulative, qs, side="left")
    return per_score.index.to_numpy(float)[np.clip(positions, 0, len(counts) - 1)]


def analyse(
    table: pd.DataFrame,
    membership: np.ndarray,
    descriptors: list[dict[str, str]],
    families: list[str],
    threshold: float | None,
) -> ScoreAnalysis:
    """AUC, calibration by score decile and a threshold sweep for each group (a row of ``membership``)."""
    overall = _per_score(table, np.arange(membership.shape[1]))
    edges = np.unique(_weighted_quantiles(overall, np.linspace(0.1, 0.9, 9)))
    sweep = _weighted_quantiles(overall, np.linspace(0.05, 0.95, N_SWEEP))
    if threshold is not None:
        sweep = np.append(sweep, threshold)
    sweep = np.unique(sweep)
    aucs: list[float | None] = []
    calibration: list[GroupCalibration] = []
    sweeps: list[GroupSweep] = []
    for g, descriptor in enumerate(descriptors):
        per_score = _per_score(table, np.flatnonzero(membership[g]))
        aucs.append(auc(per_score))
        calibration.append(
            {"group": descriptor, "family": families[g], "bands": _calibration(per_score, edges)}
        )
        sweeps.append({"group": descriptor, "family": families[g], "points": _sweep(per_score, sweep)})
    return {
        "auc": aucs,
        "decile_edges": edges.tolist(),
        "calibration": calibration,
        "thresholds": sweep.tolist(),
        "threshold_sweep": sweeps,
    }


def _calibration(per_score: pd.DataFrame, edges: np.ndarray) -> list[CalibrationBand]:
    scores = per_score.index.to_numpy(float)
    band = np.searchsorted(edges, scores, side="right")
    frame = pd.DataFrame(
        {
            "band": band,
            "pos": per_score["pos"].to_numpy(),
            "neg": per_score["neg"].to_numpy(),
            "weighted": scores * (per_score["pos"] + per_score["neg"]).to_numpy(),
        }
    )
    out: list[CalibrationBand] = []
    for _, rows in frame.groupby("band"):
        b = int(rows["band"].iloc[0])
        count = int(rows["pos"].sum() + rows["neg"].sum())
        low = -math.inf if b == 0 else float(edges[b - 1])
        high = math.inf if b >= len(edges) else float(edges[b])
        out.append(
            {
                "band": int(b),
                "from": None if math.isinf(low) else low,
                "below": None if math.isinf(high) else high,
                "count": count,
                "mean_score": float(rows["weighted"].sum() / count),
                "observed_rate": float(rows["pos"].sum() / count),
            }
        )
    return out


def _sweep(per_score: pd.DataFrame, thresholds: np.ndarray) -> list[SweepPoint]:
    scores = per_score.index.to_numpy(float)
    pos, neg = per_score["pos"].to_numpy(float), per_score["neg"].to_numpy(float)
    # rows at or above each threshold: suffix sums
    pos_above = np.concatenate([np.cumsum(pos[::-1])[::-1], [0.0]])
    neg_above = np.concatenate([np.cumsum(neg[::-1])[::-1], [0.0]])
    start = np.searchsorted(scores, thresholds, side="left")
    total_pos, total_neg = pos.sum(), neg.sum()
    out: list[SweepPoint] = []
    for t, s in zip(thresholds, start, strict=True):
        tp, fp = pos_above[s], neg_above[s]
        out.append(
            {
                "threshold": float(t),
                "selection_rate": float((tp + fp) / (total_pos + total_neg)),
                "true_positive_rate": float(tp / total_pos) if total_pos else None,
                "false_positive_rate": float(fp / total_neg) if total_neg else None,
            }
        )
    return out
