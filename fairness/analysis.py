"""The fairness audit: group metrics, disparities with intervals, verdicts and summary figures."""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import scores as score_analysis
from .counts import CellCounts
from .errors import InputError
from .loading import (
    DEFAULT_CHUNK_ROWS,
    ColumnMap,
    check_columns,
    finite_number,
    frame_to_source_chunks,
    iter_frames,
    open_source,
    validated_chunks,
)
from .metrics import METRIC_LABELS, METRIC_NAMES, RATES, metric_values, wilson_interval
from .sources import check_plain

DISPARITY = "disparity"
NO_EVIDENCE = "no evidence of disparity"
INCONCLUSIVE = "inconclusive"
TOO_SMALL = "too small to judge"
UNDEFINED = "undefined"
VERDICTS = (DISPARITY, NO_EVIDENCE, INCONCLUSIVE, TOO_SMALL, UNDEFINED)

# The base rate describes the data, not the model: its gaps are reported but not judged.
UNJUDGED_METRICS = ("base_rate",)
INTERSECTION = "intersection"


@dataclass
class Group:
    group: dict[str, str]
    family: str  # the sensitive column, or "intersection"
    count: int
    share: float
    counts: dict[str, int]  # tn, fp, fn, tp
    metrics: dict[str, float | None]
    intervals: dict[str, list[float | None]]
    too_small: bool
    auc: float | None = None


@dataclass
class Disparity:
    metric: str
    family: str
    group: dict[str, str]
    reference: dict[str, str]
    value: float | None
    reference_value: float | None
    difference: float | None
    ratio: float | None
    difference_interval: list[float | None]
    ratio_interval: list[float | None]
    verdict: str | None


@dataclass
class ImpactRatio:
    family: str
    group: dict[str, str]
    selection_rate: float
    impact_ratio: float | None
    excluded: bool


@dataclass
class AuditResult:
    rows: int
    rows_read: int
    columns: dict[str, Any]
    parameters: dict[str, Any]
    groups: list[Group]
    disparities: list[Disparity]
    impact_ratios: list[ImpactRatio]
    impact_ratio_exclusions: dict[str, dict[str, int]]
    summary: dict[str, float | None]
    warnings: list[str] = field(default_factory=list)
    rows_excluded: dict[str, dict] = field(default_factory=dict)
    scores: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "rows": self.rows,
            "rows_read": self.rows_read,
            "rows_excluded": self.rows_excluded,
            "columns": self.columns,
            "parameters": self.parameters,
            "warnings": self.warnings,
            "groups": [_group_dict(g) for g in self.groups],
            "disparities": [asdict(d) for d in self.disparities],
            "impact_ratios": [asdict(r) for r in self.impact_ratios],
            "impact_ratio_exclusions": self.impact_ratio_exclusions,
            "summary": self.summary,
        }
        if self.scores is not None:
            out["scores"] = self.scores
        return _json_safe(out)

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, allow_nan=False, **kwargs)

    def findings(self) -> list[Disparity]:
        """The disparities whose whole interval lies beyond the threshold."""
        return [d for d in self.disparities if d.verdict == DISPARITY]


def _group_dict(group: Group) -> dict[str, Any]:
    out = {
        "group": group.group,
        "family": group.family,
        "count": group.count,
        "share": group.share,
        "too_small": group.too_small,
        **group.metrics,
        "auc": group.auc,
        "intervals": group.intervals,
        "counts": group.counts,
    }
    return out


def _json_safe(value):
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _num(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def audit(
    data: pd.DataFrame | str | os.PathLike,
    y_true: str,
    y_pred: str | None = None,
    *,
    sensitive_features: list[str] | tuple[str, ...] | str,
    score: str | None = None,
    threshold: float | None = None,
    pos_label: str | None = None,
    pred_pos_label: str | None = None,
    reference: dict[str, str] | None = None,
    min_group_size: int = 30,
    confidence: float = 0.95,
    n_bootstrap: int = 1000,
    random_state: int = 0,
    ratio_threshold: float = 0.8,
    difference_threshold: float = 0.1,
    impact_ratio_min_share: float | None = 0.02,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress=None,
) -> AuditResult:
    """Audit a table of model outputs for differences between groups.

    Parameters
    ----------
    data : a DataFrame, or the path of a CSV or Parquet file (read in chunks of ``chunk_rows``)
    y_true : column of observed outcomes
    y_pred : column of the model's binary decisions; or give ``score`` and ``threshold``
    sensitive_features : one or more columns of protected attributes; each is audited alone
        and, with two or more, their intersections too
    pos_label : the positive value of ``y_true`` (and of ``y_pred`` unless ``pred_pos_label``)
    reference : reference group per column, e.g. ``{"race": "Caucasian"}``; default the largest
    min_group_size : groups smaller than this are "too small to judge"
    confidence : level of every interval
    n_bootstrap, random_state : bootstrap resamples of the counts for intervals of differences
        and ratios; the same seed gives the same intervals
    ratio_threshold, difference_threshold : a ratio below ``ratio_threshold`` (or above its
        inverse) or a difference beyond ``difference_threshold`` is a disparity
    impact_ratio_min_share : groups below this share of rows are left out of the NYC Local Law 144
        impact ratios (and counted); None keeps every group
    progress : called with the number of rows counted so far, after each chunk

    Returns
    -------
    AuditResult, with ``to_dict()`` / ``to_json()`` for serialisation.
    """
    if isinstance(sensitive_features, str):
        sensitive_features = [sensitive_features]
    if not 0 < confidence < 1:
        raise InputError(f"The confidence level must be between 0 and 1, not {confidence}.")
    if not 0 < ratio_threshold <= 1:
        raise InputError(f"The ratio threshold must be in (0, 1], not {ratio_threshold}.")
    if finite_number(difference_threshold, "difference threshold") < 0:
        raise InputError(f"The difference threshold must be 0 or more, not {difference_threshold}.")
    mapping = ColumnMap(
        y_true=y_true,
        y_pred=y_pred,
        score=score,
        threshold=threshold,
        sensitive_features=tuple(sensitive_features),
        pos_label=pos_label,
        pred_pos_label=pred_pos_label,
    )
    report: dict[str, Any] = {}
    if isinstance(data, pd.DataFrame):
        check_columns([str(c) for c in data.columns], mapping)
        if len(data) == 0:
            raise InputError("The table has no rows.")
        frames = frame_to_source_chunks(data[mapping.columns], chunk_rows)
    else:
        source = open_source(data)
        check_columns(source.header, mapping)
        check_plain(source, mapping.columns)
        report["warnings"] = list(source.warnings)
        frames = iter_frames(source, mapping.columns, chunk_rows, categorical=mapping.sensitive_features)

    cells = CellCounts(columns=mapping.sensitive_features)
    for chunk in validated_chunks(frames, mapping, report):
        cells.add(chunk.sensitive, chunk.y_true, chunk.y_pred, chunk.score)
        if progress is not None:
            progress(cells.total)
    return analyse(
        cells,
        mapping,
        report,
        reference=reference,
        min_group_size=min_group_size,
        confidence=confidence,
        n_bootstrap=n_bootstrap,
        random_state=random_state,
        ratio_threshold=ratio_threshold,
        difference_threshold=difference_threshold,
        impact_ratio_min_share=impact_ratio_min_share,
    )


def analyse(
    cells: CellCounts,
    mapping: ColumnMap,
    report: dict,
    *,
    reference,
    min_group_size,
    confidence,
    n_bootstrap,
    random_state,
    ratio_threshold,
    difference_threshold,
    impact_ratio_min_share,
) -> AuditResult:
    cells = cells.canonical()
    total = cells.total
    if total == 0:
        raise InputError("No row has both an outcome and a decision, so there is nothing to audit.")
    positives = int(cells.counts[:, 2:].sum())
    if positives in (0, total):
        value = "positive" if positives else "negative"
        raise InputError(
            f"Every outcome in '{mapping.y_true}' is {value}: with only one class, error rates "
            f"cannot be compared. Check the column and the positive value.",
            column=mapping.y_true,
        )

    families, membership, descriptors = _groups(cells)
    group_counts = membership @ cells.counts
    references = _references(families, descriptors, group_counts, reference)
    values = metric_values(group_counts)
    groups = _group_results(families, descriptors, group_counts, values, total, min_group_size, confidence)
    boot = _bootstrap(cells.counts, membership, n_bootstrap, random_state)
    disparities = _disparities(
        families,
        descriptors,
        group_counts,
        values,
        references,
        boot,
        groups,
        confidence,
        ratio_threshold,
        difference_threshold,
    )
    impact, exclusions = _impact_ratios(families, descriptors, group_counts, values, impact_ratio_min_share)

    scores = None
    if mapping.score:
        table = cells.score_table()
        scores = score_analysis.analyse(table, membership, descriptors, families, mapping.threshold)
        for group, auc in zip(groups, scores["auc"]):
            group.auc = auc

    return AuditResult(
        rows=total,
        rows_read=report.get("rows_read", total),
        rows_excluded=report.get("rows_excluded", {}),
        columns={
            "y_true": mapping.y_true,
            "y_pred": mapping.y_pred,
            "score": mapping.score,
            "threshold": mapping.threshold,
            "sensitive_features": list(mapping.sensitive_features),
            "pos_label": mapping.pos_label,
        },
        parameters={
            "confidence": confidence,
            "n_bootstrap": n_bootstrap,
            "random_state": random_state,
            "min_group_size": min_group_size,
            "ratio_threshold": ratio_threshold,
            "difference_threshold": difference_threshold,
            "impact_ratio_min_share": impact_ratio_min_share,
            "references": {f: descriptors[i] for f, i in references.items()},
        },
        groups=groups,
        disparities=disparities,
        impact_ratios=impact,
        impact_ratio_exclusions=exclusions,
        summary=fairlearn_summary(cells.counts),
        warnings=report.get("warnings", []),
        scores=scores,
    )


def _groups(cells: CellCounts):
    """Every group to report: each sensitive value alone, then (with 2+ columns) each intersection.

    Returns the family of each group, a (groups × cells) membership matrix and the group labels.
    """
    families, rows, descriptors = [], [], []
    n_cells = len(cells.cells)
    for position, column in enumerate(cells.columns):
        values = sorted({cell[position] for cell in cells.cells})
        for value in values:
            families.append(column)
            rows.append([1 if cell[position] == value else 0 for cell in cells.cells])
            descriptors.append({column: value})
    if len(cells.columns) > 1:
        order = sorted(range(n_cells), key=lambda i: cells.cells[i])
        for i in order:
            families.append(INTERSECTION)
            row = [0] * n_cells
            row[i] = 1
            rows.append(row)
            descriptors.append(dict(zip(cells.columns, cells.cells[i])))
    return families, np.array(rows, dtype=np.int64), descriptors


def _references(families, descriptors, group_counts, chosen: dict[str, str] | None) -> dict[str, int]:
    """The reference group of each family: the chosen one, else the largest."""
    chosen = {k: str(v) for k, v in (chosen or {}).items()}
    references = {}
    for family in dict.fromkeys(families):
        members = [i for i, f in enumerate(families) if f == family]
        if family == INTERSECTION:
            wanted = chosen if chosen and set(chosen) == set(descriptors[members[0]]) else None
        else:
            wanted = {family: chosen[family]} if family in chosen else None
        if wanted:
            match = [i for i in members if descriptors[i] == wanted]
            if not match:
                present = (
                    ", ".join(sorted({descriptors[i][family] for i in members}))
                    if family != INTERSECTION
                    else ""
                )
                raise InputError(
                    f"The reference group {wanted} does not occur in the data. {present}".strip(),
                    column=family if family != INTERSECTION else None,
                )
            references[family] = match[0]
        else:
            references[family] = max(members, key=lambda i: (group_counts[i].sum(), -i))
    unknown = set(chosen) - {f for f in families if f != INTERSECTION}
    if unknown:
        raise InputError(
            f"The reference names {', '.join(sorted(unknown))}, which is not a sensitive column."
        )
    return references


def _group_results(
    families, descriptors, group_counts, values, total, min_group_size, confidence
) -> list[Group]:
    intervals = {}
    for rate in RATES:
        num, den = rate.parts(group_counts)
        intervals[rate.name] = wilson_interval(num, den, confidence)
    groups = []
    for i, descriptor in enumerate(descriptors):
        count = int(group_counts[i].sum())
        tn, fp, fn, tp = (int(v) for v in group_counts[i])
        groups.append(
            Group(
                group=descriptor,
                family=families[i],
                count=count,
                share=count / total,
                counts={"tn": tn, "fp": fp, "fn": fn, "tp": tp},
                metrics={name: _num(values[name][i]) for name in METRIC_NAMES},
                intervals={
                    rate.name: [_num(intervals[rate.name][0][i]), _num(intervals[rate.name][1][i])]
                    for rate in RATES
                },
                too_small=count < min_group_size,
            )
        )
    return groups


def _bootstrap(cell_counts: np.ndarray, membership: np.ndarray, n_bootstrap: int, random_state: int):
    """Resample the whole table through its counts: one multinomial draw per replicate.

    Equivalent in distribution to resampling rows with replacement, at a cost that does
    not depend on the number of rows.
    """
    if n_bootstrap <= 0:
        return None
    flat = cell_counts.reshape(-1).astype(float)
    total = int(flat.sum())
    rng = np.random.default_rng(random_state)
    draws = rng.multinomial(total, flat / flat.sum(), size=n_bootstrap).reshape(
        n_bootstrap, *cell_counts.shape
    )
    group_draws = np.einsum("gc,bck->bgk", membership, draws, optimize=True)
    return metric_values(group_draws)


def _percentile_interval(samples: np.ndarray, confidence: float) -> list[float | None]:
    finite = samples[np.isfinite(samples)]
    if len(finite) < 0.9 * len(samples) or len(finite) == 0:
        return [None, None]
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return [float(low), float(high)]


def _verdict(diff_interval, ratio_interval, ratio_threshold, difference_threshold) -> str:
    d_low, d_high = diff_interval
    r_low, r_high = ratio_interval
    if d_low is None:
        return INCONCLUSIVE
    upper_ratio = 1 / ratio_threshold
    diff_beyond = d_low > difference_threshold or d_high < -difference_threshold
    ratio_beyond = r_low is not None and (r_high < ratio_threshold or r_low > upper_ratio)
    if diff_beyond or ratio_beyond:
        return DISPARITY
    diff_inside = -difference_threshold <= d_low and d_high <= difference_threshold
    ratio_inside = r_low is not None and ratio_threshold <= r_low and r_high <= upper_ratio
    if diff_inside and ratio_inside:
        return NO_EVIDENCE
    return INCONCLUSIVE


def _disparities(
    families,
    descriptors,
    group_counts,
    values,
    references,
    boot,
    groups,
    confidence,
    ratio_threshold,
    difference_threshold,
) -> list[Disparity]:
    out = []
    for i, family in enumerate(families):
        ref = references[family]
        if i == ref:
            continue
        for name in METRIC_NAMES:
            value, ref_value = values[name][i], values[name][ref]
            difference = value - ref_value
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio = value / ref_value if ref_value != 0 else np.nan
            diff_interval, ratio_interval = [None, None], [None, None]
            if boot is not None:
                samples_g, samples_r = boot[name][:, i], boot[name][:, ref]
                diff_interval = _percentile_interval(samples_g - samples_r, confidence)
                with np.errstate(invalid="ignore", divide="ignore"):
                    ratio_interval = _percentile_interval(samples_g / samples_r, confidence)
            if name in UNJUDGED_METRICS:
                verdict = None
            elif groups[i].too_small or groups[ref].too_small:
                verdict = TOO_SMALL
            elif math.isnan(value) or math.isnan(ref_value):
                verdict = UNDEFINED
            else:
                verdict = _verdict(diff_interval, ratio_interval, ratio_threshold, difference_threshold)
            out.append(
                Disparity(
                    metric=name,
                    family=family,
                    group=descriptors[i],
                    reference=descriptors[ref],
                    value=_num(value),
                    reference_value=_num(ref_value),
                    difference=_num(difference),
                    ratio=_num(ratio),
                    difference_interval=diff_interval,
                    ratio_interval=ratio_interval,
                    verdict=verdict,
                )
            )
    return out


def _impact_ratios(families, descriptors, group_counts, values, min_share):
    """NYC Local Law 144: each group's selection rate over that of the most-selected group."""
    selection = values["selection_rate"]
    sizes = group_counts.sum(axis=1)
    total = sizes[[i for i, f in enumerate(families) if f == families[0]]].sum()
    out, exclusions = [], {}
    for family in dict.fromkeys(families):
        members = [i for i, f in enumerate(families) if f == family]
        excluded = [i for i in members if min_share is not None and sizes[i] / total < min_share]
        kept = [i for i in members if i not in excluded] or members
        best = max(selection[i] for i in kept)
        exclusions[family] = {"groups": len(excluded), "rows": int(sum(sizes[i] for i in excluded))}
        for i in members:
            ratio = selection[i] / best if best > 0 and i not in excluded else np.nan
            out.append(
                ImpactRatio(
                    family=family,
                    group=descriptors[i],
                    selection_rate=float(selection[i]),
                    impact_ratio=_num(ratio),
                    excluded=i in excluded,
                )
            )
    return out, exclusions


def fairlearn_summary(cell_counts: np.ndarray) -> dict[str, float | None]:
    """fairlearn's summary figures over the finest groups (all sensitive columns together).

    As fairlearn does (through scikit-learn's confusion matrix), a rate whose
    denominator is zero counts as 0 here.
    """
    values = {name: np.nan_to_num(v, nan=0.0) for name, v in metric_values(cell_counts).items()}

    def spread(name):
        v = values[name]
        return float(v.max() - v.min())

    def ratio(name):
        v = values[name]
        return float(v.min() / v.max()) if v.max() > 0 else float("nan")

    return _json_safe(
        {
            "demographic_parity_difference": spread("selection_rate"),
            "demographic_parity_ratio": ratio("selection_rate"),
            "equalized_odds_difference": max(spread("true_positive_rate"), spread("false_positive_rate")),
            "equalized_odds_ratio": min(ratio("true_positive_rate"), ratio("false_positive_rate")),
            "equal_opportunity_difference": spread("true_positive_rate"),
            "equal_opportunity_ratio": ratio("true_positive_rate"),
        }
    )


__all__ = [
    "audit",
    "AuditResult",
    "Group",
    "Disparity",
    "ImpactRatio",
    "VERDICTS",
    "METRIC_LABELS",
    "fairlearn_summary",
]
