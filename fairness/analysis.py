"""The fairness audit: group metrics, disparities with intervals, verdicts and summary figures."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import power as stats
from . import scores as score_analysis
from .counts import CellCounts
from .errors import InputError
from .loading import (
    DEFAULT_CHUNK_ROWS,
    ColumnMap,
    ExcludedRows,
    PosLabel,
    ReadSummary,
    check_columns,
    finite_number,
    frame_to_source_chunks,
    iter_frames,
    validated_chunks,
)
from .metrics import (
    BALANCED_ACCURACY,
    LABEL_FREE_METRICS,
    METRIC_LABELS,
    METRIC_NAMES,
    METRICS_NEEDING_LABELS,
    RATE_BY_NAME,
    RATES,
    metric_values,
    wilson_interval,
)
from .ratios import not_estimable
from .scores import ScoreAnalysis
from .serialise import json_safe, to_json
from .sources import check_plain, open_source

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
    """One group's rows and metrics: a value of one sensitive column, or an intersection of values.

    Attributes
    ----------
    group : dict of str to str
        The group's value in each sensitive column it is defined by, e.g. ``{"race": "Black"}``.
    family : str
        The sensitive column the group belongs to, or ``"intersection"`` for a combination of columns.
    count : int
        Rows in the group.
    share : float
        The group's share of all rows audited.
    counts : dict of str to int
        Its confusion counts: ``tn``, ``fp``, ``fn`` and ``tp``.
    metrics : dict of str to float or None
        Every metric of ``METRIC_NAMES``; None where it is undefined (its denominator is zero).
    intervals : dict of str to list of float or None
        Wilson score interval ``[low, high]`` of each rate, at the audit's confidence level.
    too_small : bool
        Fewer rows than ``min_group_size``, the floor below which no disparity of it is judged.
    auc : float or None
        Area under the ROC curve of the score within the group, when a score column was audited.
    """

    group: dict[str, str]
    family: str
    count: int
    share: float
    counts: dict[str, int]
    metrics: dict[str, float | None]
    intervals: dict[str, list[float | None]]
    too_small: bool
    auc: float | None = None


@dataclass
class Disparity:
    """How one metric of a group compares with the same metric of its family's reference group.

    Attributes
    ----------
    metric : str
        One of ``METRIC_NAMES``.
    family : str
        The sensitive column, or ``"intersection"``.
    group, reference : dict of str to str
        The group compared and the reference group, as in ``Group.group``.
    value, reference_value : float or None
        The metric of the group and of the reference; None where undefined.
    difference : float or None
        ``value - reference_value``.
    ratio : float or None
        ``value / reference_value``; None where the reference value is zero. Read it only where
        ``ratio_not_estimable`` is None: a ratio of 0.00 from a group with no positive decisions says nothing.
    difference_interval, ratio_interval : list of float or None
        Bootstrap percentile intervals ``[low, high]``; ``[None, None]`` without bootstrap, where too few
        resamples define the figure, and (for the ratio) where the ratio is not estimable.
    ratio_not_estimable : str or None
        Why the ratio cannot be estimated, in words ("not estimable: the group has 1 positive decision in
        107 rows; …"); None when it can. The rule is ``fairness.ratios``': a rate of 0 or undefined on either
        side, or fewer events on either side than the interval needs (4 at 95 %). Such a ratio takes no
        part in the verdict, which then rests on the difference.
    verdict : str or None
        One of ``VERDICTS``; None for metrics that describe the data rather than the model (the base rate).
        "too small to judge" below the floor of rows, or when the interval decides nothing and the
        audit could not have detected a gap of the difference threshold (``detectable_difference``).
    detectable_difference : float or None
        The smallest difference this comparison could detect at 80 % power and the audit's alpha.
    rows_needed : int or None
        More rows of the group needed to detect the difference threshold (0: enough already); None
        when no number would do because the reference group is too uncertain itself.
    p_value : float or None
        Two-sided p-value that the gap lies beyond the thresholds (normal approximation); None where
        nothing was judged.
    adjusted_p_value : float or None
        ``p_value`` adjusted over every judged comparison of the audit, by
        ``parameters["multiple_comparisons"]``.
    adjusted_verdict : str or None
        The verdict after the adjustment: a disparity stays one only if its adjusted p-value is below alpha,
        otherwise it becomes inconclusive; other verdicts are unchanged.
    """

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
    detectable_difference: float | None = None
    rows_needed: int | None = None
    p_value: float | None = None
    adjusted_p_value: float | None = None
    adjusted_verdict: str | None = None
    ratio_not_estimable: str | None = None


@dataclass
class ImpactRatio:
    """A group's impact ratio as NYC Local Law 144 defines it.

    Attributes
    ----------
    family : str
        The sensitive column, or ``"intersection"``.
    group : dict of str to str
        The group, as in ``Group.group``.
    selection_rate : float
        The group's selection rate.
    impact_ratio : float or None
        Its selection rate over that of the most-selected group of its family; None when excluded.
    excluded : bool
        Left out for being below ``impact_ratio_min_share`` of the rows.
    """

    family: str
    group: dict[str, str]
    selection_rate: float
    impact_ratio: float | None
    excluded: bool


@dataclass
class AuditResult:
    """The result of ``audit``.

    Attributes
    ----------
    rows : int
        Rows audited: those with an outcome, a decision (or a score) and nothing invalid.
    rows_read : int
        Rows read from the table.
    columns : dict
        The columns audited and the positive value, as given.
    parameters : dict
        The audit's settings, with the reference group chosen for each family.
    groups : list of Group
        Every value of every sensitive column, then (with two or more) every intersection.
    disparities : list of Disparity
        Every metric of every group against its family's reference group.
    impact_ratios : list of ImpactRatio
        NYC Local Law 144 impact ratios of every group.
    impact_ratio_exclusions : dict of str to dict of str to int
        Per family, how many groups and rows the impact ratios leave out.
    summary : dict of str to float or None
        fairlearn's summary figures (see ``fairlearn_summary``).
    warnings : list of str
        What the reader of the result should know about the data, in words.
    rows_excluded : dict of str to ExcludedRows
        Per column, the rows left out because it is empty in them.
    scores : dict or None
        AUC, calibration by score band and a threshold sweep per group, when a score column was audited
        together with observed outcomes.
    labelled : bool
        Whether observed outcomes were audited. Without them (an audit of decisions alone) only the
        selection rate, its disparities and the impact ratios are computed; the metrics of
        ``METRICS_NEEDING_LABELS`` are None.
    """

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
    rows_excluded: dict[str, ExcludedRows] = field(default_factory=dict)
    scores: ScoreAnalysis | None = None
    labelled: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data for JSON: each group's metrics beside its name, None for NaN.

        Returns
        -------
        dict
            Only lists, dicts, text, numbers, booleans and None.
        """
        out: dict[str, Any] = {
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
            "labelled": self.labelled,
            "metrics_needing_labels": [] if self.labelled else list(METRICS_NEEDING_LABELS),
        }
        if self.scores is not None:
            out["scores"] = self.scores
        safe: dict[str, Any] = json_safe(out)
        return safe

    def to_json(self, **kwargs: Any) -> str:
        """``to_dict()`` as JSON text; ``kwargs`` go to ``json.dumps`` (e.g. ``indent=2``)."""
        return to_json(self.to_dict(), **kwargs)

    def findings(self) -> list[Disparity]:
        """The disparities whose whole interval lies beyond the threshold and that survive the
        adjustment for multiple comparisons.

        Returns
        -------
        list of Disparity
            Those whose ``adjusted_verdict`` is ``DISPARITY``.
        """
        return [d for d in self.disparities if d.adjusted_verdict == DISPARITY]


def _group_dict(group: Group) -> dict[str, Any]:
    return {
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


def _num(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def audit(
    data: pd.DataFrame | str | os.PathLike[str],
    y_true: str | None,
    y_pred: str | None = None,
    *,
    sensitive_features: str | Sequence[str],
    score: str | None = None,
    threshold: float | None = None,
    pos_label: PosLabel = None,
    pred_pos_label: PosLabel = None,
    reference: dict[str, str] | None = None,
    min_group_size: int = 30,
    confidence: float = 0.95,
    n_bootstrap: int = 1000,
    random_state: int = 0,
    ratio_threshold: float = 0.8,
    difference_threshold: float = 0.1,
    impact_ratio_min_share: float | None = 0.02,
    multiple_comparisons: str = stats.HOLM,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Callable[[int], object] | None = None,
) -> AuditResult:
    """Audit a table of model outputs for differences between groups.

    Parameters
    ----------
    data : DataFrame, str or path
        A DataFrame, or the path of a CSV or Parquet file (read in chunks of ``chunk_rows``).
    y_true : str or None
        Column of observed outcomes (binary). None for an audit of decisions alone, as in operation where
        outcomes are not known: then only selection rates, their disparities and the impact ratios are
        computed, and the result says which metrics need outcomes (``METRICS_NEEDING_LABELS``).
    y_pred : str, optional
        Column of the model's binary decisions; or give ``score`` and ``threshold``.
    sensitive_features : str or sequence of str
        One or more columns of protected attributes; each is audited alone and, with two or more,
        their intersections too.
    score : str, optional
        Column of the model's numeric scores: analysed for AUC, calibration and a threshold sweep, and
        turned into decisions with ``threshold`` when there is no ``y_pred``.
    threshold : float, optional
        A score at or above it is a positive decision.
    pos_label : str, collection of str or None
        The value(s) of ``y_true``, and of ``y_pred`` unless ``pred_pos_label`` is given, that mean
        positive. None: the columns hold 0/1, true/false or yes/no. Several values: a list, or text
        separated by commas. Besides them a column may hold one other value, the negative one.
    pred_pos_label : str, collection of str or None
        The value(s) of ``y_pred`` that mean positive, when they differ from ``pos_label``.
    reference : dict of str to str, optional
        The reference group of each column, e.g. ``{"race": "Caucasian"}``; by default the largest group.
        The reference of the intersections is the intersection of every value given when one is given for
        each column, else the largest intersection that holds the values given (with race=Caucasian: the
        largest intersection with race Caucasian), else the largest intersection.
        ``parameters["reference_basis"]`` says, per family, how its reference was chosen.
    min_group_size : int, default 30
        The floor: groups smaller than this are "too small to judge". Above it, a comparison whose
        interval decides nothing is "too small to judge" when the audit could not have detected a gap of
        ``difference_threshold`` (80 % power at alpha = 1 - confidence).
    confidence : float, default 0.95
        Level of every interval.
    n_bootstrap : int, default 1000
        Bootstrap resamples of the counts for the intervals of differences and ratios; 0 for none.
    random_state : int, default 0
        Seed of the bootstrap: the same seed gives the same intervals.
    ratio_threshold : float, default 0.8
        A ratio whose interval lies below it (or above its inverse) is a disparity.
    difference_threshold : float, default 0.1
        A difference whose interval lies beyond it, either way, is a disparity.
    impact_ratio_min_share : float or None, default 0.02
        Groups below this share of rows are left out of the NYC Local Law 144 impact ratios (and counted);
        None keeps every group.
    multiple_comparisons : {"holm", "bh", "none"}, default "holm"
        How the p-values of all judged comparisons of the audit are adjusted: Holm controls the chance of
        any false disparity, Benjamini–Hochberg the expected share of false ones among those found.
    chunk_rows : int
        Rows read at a time from a file.
    progress : callable, optional
        Called with the number of rows counted so far, after each chunk.

    Returns
    -------
    AuditResult
        Groups, disparities, impact ratios and summary figures, with ``to_dict()`` and ``to_json()``.

    Raises
    ------
    InputError
        When the data cannot be audited as asked: a missing or repeated column, a value that is not
        binary or not a number, one class only, an unknown reference group. The message says which
        column and rows, and what to do.
    """
    if isinstance(sensitive_features, str):
        sensitive_features = [sensitive_features]
    if not 0 < confidence < 1:
        raise InputError(f"The confidence level must be between 0 and 1, not {confidence}.")
    if not 0 < ratio_threshold <= 1:
        raise InputError(f"The ratio threshold must be in (0, 1], not {ratio_threshold}.")
    if finite_number(difference_threshold, "difference threshold") < 0:
        raise InputError(f"The difference threshold must be 0 or more, not {difference_threshold}.")
    if multiple_comparisons not in stats.METHODS:
        raise InputError(
            f"The multiple-comparison method must be one of {', '.join(stats.METHODS)}, "
            f"not {multiple_comparisons!r}."
        )
    mapping = ColumnMap(
        y_true=y_true,
        y_pred=y_pred,
        score=score,
        threshold=threshold,
        sensitive_features=tuple(sensitive_features),
        pos_label=pos_label,
        pred_pos_label=pred_pos_label,
    )
    summary = ReadSummary()
    frames: Iterator[pd.DataFrame]
    if isinstance(data, pd.DataFrame):
        check_columns([str(c) for c in data.columns], mapping.columns)
        if len(data) == 0:
            raise InputError("The table has no rows.")
        frames = frame_to_source_chunks(data[mapping.columns], chunk_rows)
    else:
        source = open_source(data)
        check_columns(source.header, mapping.columns)
        check_plain(source, mapping.columns)
        summary.warnings.extend(source.warnings)
        frames = iter_frames(source, mapping.columns, chunk_rows, categorical=mapping.sensitive_features)

    cells = CellCounts(columns=mapping.sensitive_features)
    for chunk in validated_chunks(frames, mapping, summary):
        cells.add(chunk.sensitive, chunk.y_true, chunk.y_pred, chunk.score)
        if progress is not None:
            progress(cells.total)
    return analyse(
        cells,
        mapping,
        summary,
        reference=reference,
        min_group_size=min_group_size,
        confidence=confidence,
        n_bootstrap=n_bootstrap,
        random_state=random_state,
        ratio_threshold=ratio_threshold,
        difference_threshold=difference_threshold,
        impact_ratio_min_share=impact_ratio_min_share,
        multiple_comparisons=multiple_comparisons,
    )


def analyse(
    cells: CellCounts,
    mapping: ColumnMap,
    summary: ReadSummary,
    *,
    reference: dict[str, str] | None,
    min_group_size: int,
    confidence: float,
    n_bootstrap: int,
    random_state: int,
    ratio_threshold: float,
    difference_threshold: float,
    impact_ratio_min_share: float | None,
    multiple_comparisons: str = stats.HOLM,
) -> AuditResult:
    """The audit of rows already reduced to counts; the parameters are those of ``audit``."""
    cells = cells.canonical()
    total = cells.total
    if total == 0:
        raise InputError("No row has both an outcome and a decision, so there is nothing to audit.")
    labelled = mapping.y_true is not None
    positives = int(cells.counts[:, 2:].sum())
    if labelled and positives in (0, total):
        value = "positive" if positives else "negative"
        raise InputError(
            f"Every outcome in '{mapping.y_true}' is {value}: with only one class, error rates "
            f"cannot be compared. Check the column and the positive value.",
            column=mapping.y_true,
        )

    families, membership, descriptors = _groups(cells)
    group_counts = membership @ cells.counts
    references, basis = _references(families, descriptors, group_counts, reference)
    values = metric_values(group_counts)
    groups = _group_results(families, descriptors, group_counts, values, total, min_group_size, confidence)
    boot = _bootstrap(cells.counts, membership, n_bootstrap, random_state)
    metrics = METRIC_NAMES if labelled else LABEL_FREE_METRICS
    if not labelled:
        _drop_label_metrics(groups)
        summary.warnings.append(DECISION_ONLY_WARNING)
    disparities = _disparities(
        metrics,
        families,
        descriptors,
        values,
        references,
        boot,
        groups,
        group_counts,
        confidence,
        (ratio_threshold, difference_threshold),
    )
    _add_power(
        metrics,
        disparities,
        families,
        references,
        group_counts,
        groups,
        confidence,
        thresholds=(ratio_threshold, difference_threshold),
    )
    _adjust(disparities, multiple_comparisons, 1 - confidence)
    impact, exclusions = _impact_ratios(families, descriptors, group_counts, values, impact_ratio_min_share)

    scores = None
    if mapping.score and labelled:
        table = cells.score_table()
        scores = score_analysis.analyse(table, membership, descriptors, families, mapping.threshold)
        for group, auc in zip(groups, scores["auc"], strict=True):
            group.auc = auc

    return AuditResult(
        rows=total,
        rows_read=summary.rows_read,
        rows_excluded=summary.rows_excluded,
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
            "multiple_comparisons": multiple_comparisons,
            "power": stats.POWER,
            "references": {f: descriptors[i] for f, i in references.items()},
            "reference_basis": basis,
        },
        groups=groups,
        disparities=disparities,
        impact_ratios=impact,
        impact_ratio_exclusions=exclusions,
        summary=fairlearn_summary(cells.counts, labelled=labelled),
        warnings=summary.warnings,
        scores=scores,
        labelled=labelled,
    )


DECISION_ONLY_WARNING = (
    "No outcome column was given: this audit of decisions alone computes selection rates, their "
    "disparities and the impact ratios. "
    + ", ".join(METRIC_LABELS[name] for name in METRICS_NEEDING_LABELS)
    + " need observed outcomes and are not computed."
)


def _drop_label_metrics(groups: list[Group]) -> None:
    """Without outcomes every row was counted as a negative outcome: the metrics that need them are void."""
    for group in groups:
        for name in METRICS_NEEDING_LABELS:
            group.metrics[name] = None
            if name in group.intervals:
                group.intervals[name] = [None, None]


def _groups(cells: CellCounts) -> tuple[list[str], np.ndarray, list[dict[str, str]]]:
    """Every group to report: each sensitive value alone, then (with 2+ columns) each intersection.

    Returns the family of each group, a (groups × cells) membership matrix and the group labels.
    """
    families: list[str] = []
    rows: list[list[int]] = []
    descriptors: list[dict[str, str]] = []
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
            descriptors.append(dict(zip(cells.columns, cells.cells[i], strict=True)))
    return families, np.array(rows, dtype=np.int64), descriptors


CHOSEN = "chosen"
LARGEST = "the largest group"


def _references(
    families: list[str],
    descriptors: list[dict[str, str]],
    group_counts: np.ndarray,
    chosen: dict[str, str] | None,
) -> tuple[dict[str, int], dict[str, str]]:
    """The reference group of each family (the chosen one, else the largest) and, in words, how it was
    chosen. The intersections' reference holds every value chosen: the largest such intersection."""
    chosen = {k: str(v) for k, v in (chosen or {}).items()}
    unknown = set(chosen) - {f for f in families if f != INTERSECTION}
    if unknown:
        raise InputError(
            f"The reference names {', '.join(sorted(unknown))}, which is not a sensitive column."
        )
    references, basis = {}, {}
    for family in dict.fromkeys(families):
        members = [i for i, f in enumerate(families) if f == family]
        wanted = chosen if family == INTERSECTION else {family: chosen[family]} if family in chosen else {}
        candidates = [i for i in members if wanted.items() <= descriptors[i].items()]
        if not candidates:
            present = (
                ", ".join(sorted({descriptors[i][family] for i in members})) if family != INTERSECTION else ""
            )
            raise InputError(
                f"The reference group {wanted} does not occur in the data. {present}".strip(),
                column=family if family != INTERSECTION else None,
            )
        references[family] = max(candidates, key=lambda i: (group_counts[i].sum(), -i))
        basis[family] = _basis(family, wanted, descriptors[members[0]])
    return references, basis


def _basis(family: str, wanted: dict[str, str], descriptor: dict[str, str]) -> str:
    """How a family's reference was chosen, in words."""
    if not wanted:
        return "the largest intersection" if family == INTERSECTION else LARGEST
    if wanted.keys() == descriptor.keys():
        return CHOSEN
    values = " and ".join(f"{column} {value}" for column, value in wanted.items())
    return f"the largest intersection with {values}"


def _group_results(
    families: list[str],
    descriptors: list[dict[str, str]],
    group_counts: np.ndarray,
    values: dict[str, np.ndarray],
    total: int,
    min_group_size: int,
    confidence: float,
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


def _bootstrap(
    cell_counts: np.ndarray, membership: np.ndarray, n_bootstrap: int, random_state: int
) -> dict[str, np.ndarray] | None:
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


Interval = tuple[float, float]


def _percentile_interval(samples: np.ndarray, confidence: float) -> Interval | None:
    """The bootstrap percentile interval; None when more than a tenth of the resamples leave it undefined."""
    finite = samples[np.isfinite(samples)]
    if len(finite) < 0.9 * len(samples) or len(finite) == 0:
        return None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def _verdict(
    diff_interval: Interval | None,
    ratio_interval: Interval | None,
    ratio_threshold: float,
    difference_threshold: float,
) -> str:
    if diff_interval is None:
        return INCONCLUSIVE
    d_low, d_high = diff_interval
    upper_ratio = 1 / ratio_threshold
    diff_beyond = d_low > difference_threshold or d_high < -difference_threshold
    ratio_beyond = ratio_interval is not None and (
        ratio_interval[1] < ratio_threshold or ratio_interval[0] > upper_ratio
    )
    if diff_beyond or ratio_beyond:
        return DISPARITY
    diff_inside = -difference_threshold <= d_low and d_high <= difference_threshold
    ratio_inside = (
        ratio_interval is not None
        and ratio_threshold <= ratio_interval[0]
        and ratio_interval[1] <= upper_ratio
    )
    if diff_inside and ratio_inside:
        return NO_EVIDENCE
    return INCONCLUSIVE


def _as_list(interval: Interval | None) -> list[float | None]:
    return [None, None] if interval is None else list(interval)


def _disparities(
    metrics: Sequence[str],
    families: list[str],
    descriptors: list[dict[str, str]],
    values: dict[str, np.ndarray],
    references: dict[str, int],
    boot: dict[str, np.ndarray] | None,
    groups: list[Group],
    group_counts: np.ndarray,
    confidence: float,
    thresholds: tuple[float, float],
) -> list[Disparity]:
    out = []
    for i, family in enumerate(families):
        ref = references[family]
        if i == ref:
            continue
        for name in metrics:
            value, ref_value = values[name][i], values[name][ref]
            difference = value - ref_value
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio = value / ref_value if ref_value != 0 else np.nan
            unestimable = not_estimable(name, group_counts[i], group_counts[ref], confidence)
            diff_interval = ratio_interval = None
            if boot is not None:
                samples_g, samples_r = boot[name][:, i], boot[name][:, ref]
                diff_interval = _percentile_interval(samples_g - samples_r, confidence)
                if unestimable is None:
                    with np.errstate(invalid="ignore", divide="ignore"):
                        ratio_interval = _percentile_interval(samples_g / samples_r, confidence)
            verdict: str | None
            if name in UNJUDGED_METRICS:
                verdict = None
            elif groups[i].too_small or groups[ref].too_small:
                verdict = TOO_SMALL
            elif math.isnan(value) or math.isnan(ref_value):
                verdict = UNDEFINED
            else:
                verdict = _verdict(diff_interval, ratio_interval, *thresholds)
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
                    difference_interval=_as_list(diff_interval),
                    ratio_interval=_as_list(ratio_interval),
                    verdict=verdict,
                    ratio_not_estimable=unestimable,
                )
            )
    return out


def _pairs(
    metrics: Sequence[str], families: list[str], references: dict[str, int]
) -> Iterator[tuple[int, int, str]]:
    """(group, reference, metric) of every disparity, in the order ``_disparities`` lists them."""
    for i, family in enumerate(families):
        if i != references[family]:
            for name in metrics:
                yield i, references[family], name


def _sides(name: str, group: np.ndarray, reference: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The proportions a metric is made of, as (group events, group trials, reference events, reference
    trials); balanced accuracy is the mean of two."""
    rates = (
        [RATE_BY_NAME["true_positive_rate"], RATE_BY_NAME["true_negative_rate"]]
        if name == BALANCED_ACCURACY
        else [RATE_BY_NAME[name]]
    )
    out = []
    for rate in rates:
        (x1, n1), (x2, n2) = rate.parts(group), rate.parts(reference)
        out.append((int(x1), int(n1), int(x2), int(n2)))
    return out


def _variances(sides: list[tuple[int, int, int, int]], pooled: bool) -> tuple[float, float]:
    """Variance of the metric of the group and of the reference: at the pooled rate (no difference) or
    at each side's own rate."""
    var_group = var_reference = 0.0
    for x1, n1, x2, n2 in sides:
        if pooled:
            rate = (x1 + x2) / (n1 + n2) if n1 + n2 else math.nan
            var_group += stats.rate_variance(rate, n1)
            var_reference += stats.rate_variance(rate, n2)
        else:
            var_group += x1 / n1 * (1 - x1 / n1) / n1 if n1 else math.inf
            var_reference += x2 / n2 * (1 - x2 / n2) / n2 if n2 else math.inf
    scale = len(sides) ** 2
    return var_group / scale, var_reference / scale


def _add_power(
    metrics: Sequence[str],
    disparities: list[Disparity],
    families: list[str],
    references: dict[str, int],
    group_counts: np.ndarray,
    groups: list[Group],
    confidence: float,
    thresholds: tuple[float, float],
) -> None:
    """Each comparison's detectable difference, rows needed and p-value; an inconclusive comparison that
    could not have detected the difference threshold becomes too small to judge."""
    alpha = 1 - confidence
    ratio_threshold, difference_threshold = thresholds
    for d, (i, ref, name) in zip(disparities, _pairs(metrics, families, references), strict=True):
        sides = _sides(name, group_counts[i], group_counts[ref])
        var_group, var_reference = _variances(sides, pooled=True)
        d.detectable_difference = _num(stats.detectable_difference(var_group, var_reference, alpha))
        d.rows_needed = stats.rows_to_detect(
            groups[i].count, var_group, var_reference, difference_threshold, alpha
        )
        if d.verdict in (None, TOO_SMALL, UNDEFINED):
            continue
        d.p_value = _p_value(d, sides, ratio_threshold, difference_threshold)
        if (
            d.verdict == INCONCLUSIVE
            and d.detectable_difference is not None
            and d.detectable_difference > difference_threshold
        ):
            d.verdict = TOO_SMALL


def _p_value(
    d: Disparity, sides: list[tuple[int, int, int, int]], ratio_threshold: float, difference_threshold: float
) -> float:
    """The smaller of the p-values that the difference, or the ratio, lies beyond its threshold: the same
    either-or the verdict applies to the intervals."""
    var_group, var_reference = _variances(sides, pooled=False)
    p = stats.beyond_threshold_p(
        float(d.difference if d.difference is not None else math.nan),
        math.sqrt(var_group + var_reference),
        difference_threshold,
    )
    if len(sides) == 1 and d.ratio and d.ratio_not_estimable is None:
        x1, n1, x2, n2 = sides[0]
        if x1 > 0 and x2 > 0:
            log_se = math.sqrt((1 - x1 / n1) / x1 + (1 - x2 / n2) / x2)
            p = min(p, stats.beyond_threshold_p(math.log(d.ratio), log_se, -math.log(ratio_threshold)))
    return p


def _adjust(disparities: list[Disparity], method: str, alpha: float) -> None:
    """Adjust the p-values of every judged comparison together; a disparity whose adjusted p-value is not
    below alpha becomes inconclusive."""
    tested = [d for d in disparities if d.p_value is not None]
    adjusted = stats.adjust([d.p_value for d in tested if d.p_value is not None], method)
    for d, p in zip(tested, adjusted, strict=True):
        d.adjusted_p_value = p
    for d in disparities:
        d.adjusted_verdict = d.verdict
        if d.verdict == DISPARITY and method != stats.NO_ADJUSTMENT:
            assert d.adjusted_p_value is not None
            if d.adjusted_p_value >= alpha:
                d.adjusted_verdict = INCONCLUSIVE


def _impact_ratios(
    families: list[str],
    descriptors: list[dict[str, str]],
    group_counts: np.ndarray,
    values: dict[str, np.ndarray],
    min_share: float | None,
) -> tuple[list[ImpactRatio], dict[str, dict[str, int]]]:
    """NYC Local Law 144: each group's selection rate over that of the most-selected group."""
    selection = values["selection_rate"]
    sizes = group_counts.sum(axis=1)
    total = sizes[[i for i, f in enumerate(families) if f == families[0]]].sum()
    out = []
    exclusions = {}
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


def fairlearn_summary(cell_counts: np.ndarray, labelled: bool = True) -> dict[str, float | None]:
    """fairlearn's summary figures over the finest groups (all sensitive columns together).

    As fairlearn does (through scikit-learn's confusion matrix), a rate whose
    denominator is zero counts as 0 here.

    Parameters
    ----------
    cell_counts : ndarray of shape (n_cells, 4)
        Confusion counts [TN, FP, FN, TP] of each combination of sensitive values.
    labelled : bool, default True
        False when the counts hold no observed outcomes: the figures that need them are None.

    Returns
    -------
    dict of str to float or None
        Demographic parity, equalized odds and equal opportunity, as differences and ratios;
        None where a ratio is undefined (every group's rate is 0).
    """
    values = {name: np.nan_to_num(v, nan=0.0) for name, v in metric_values(cell_counts).items()}

    def spread(name: str) -> float:
        v = values[name]
        return float(v.max() - v.min())

    def ratio(name: str) -> float:
        v = values[name]
        return float(v.min() / v.max()) if v.max() > 0 else math.nan

    figures = {
        "demographic_parity_difference": spread("selection_rate"),
        "demographic_parity_ratio": ratio("selection_rate"),
        "equalized_odds_difference": max(spread("true_positive_rate"), spread("false_positive_rate")),
        "equalized_odds_ratio": min(ratio("true_positive_rate"), ratio("false_positive_rate")),
        "equal_opportunity_difference": spread("true_positive_rate"),
        "equal_opportunity_ratio": ratio("true_positive_rate"),
    }
    return {
        name: _num(value) if labelled or name.startswith("demographic_parity") else None
        for name, value in figures.items()
    }


__all__ = [
    "METRIC_LABELS",
    "VERDICTS",
    "AuditResult",
    "Disparity",
    "Group",
    "ImpactRatio",
    "audit",
    "fairlearn_summary",
]
