"""Explanations without the model: a faithful surrogate, SHAP attributions and proxy detection.

The vendor's model is not needed (and an uploaded model file is never loaded): a tree ensemble
is fitted to reproduce the model's decisions or scores from the features it saw. Its fidelity
is measured on held-out rows; below the bar, attributions are not presented as explanations of
the model. Proxy strength is the cross-validated AUC with which each feature alone predicts a
protected attribute (a histogram classifier on the feature's bins or categories).
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from .errors import InputError, describe_rows
from .loading import (
    HEADER_ROWS,
    MISSING,
    Binarizer,
    PosLabel,
    Problems,
    check_columns,
    csv_options,
)
from .serialise import json_safe, to_json
from .sources import check_field_counts, check_plain, check_text, encoding_error, open_source

MAX_LEVELS = 30  # categories kept per categorical feature; the rest are grouped as "other"
MAX_FIT_ROWS = 200_000  # rows used to fit the surrogate
PROXY_ROWS = 50_000  # rows used to measure proxies
PROXY_BINS = 20
PROXY_MIN_GROUP = 30
IDENTIFIER_SHARE = 0.5  # a text column with more distinct values than this share of rows is an identifier
OTHER = "(other)"
SHOWN_SKIPPED = 15


@dataclass
class Fidelity:
    """How faithfully the surrogate reproduces the model, measured on held-out rows.

    Attributes
    ----------
    task : str
        ``"decision"`` or ``"score"``.
    measure : str
        ``"agreement"`` (share of decisions reproduced) or ``"r2"`` (variance of the scores explained).
    value : float
        The measure.
    threshold : float
        The bar it must reach.
    passed : bool
        Whether it reaches the bar (for decisions, the balanced agreement must also be within 0.1 of it).
    balanced_agreement, auc, baseline : float or None
        For decisions: agreement balanced over both decisions, the surrogate's AUC, and the agreement of
        always guessing the commoner decision.
    held_out_rows : int
        Rows the measure is taken on.
    message : str
        The measure and what follows from it, in words.
    """

    task: str
    measure: str
    value: float
    threshold: float
    passed: bool
    balanced_agreement: float | None = None
    auc: float | None = None
    baseline: float | None = None
    held_out_rows: int = 0
    message: str = ""


class Importance(TypedDict):
    feature: str
    mean_abs_shap: float
    share: float


class GroupAttribution(TypedDict):
    attribute: str
    group: str
    count: int
    mean_shap: dict[str, float]
    pushes_up: list[str]


class Individual(TypedDict):
    row: int
    output: str
    text: str
    contributions: dict[str, float]


class Proxy(TypedDict):
    feature: str
    attribute: str
    auc: float | None
    group: str | None


class Flag(Proxy):
    share: float
    flagged: bool
    text: str


@dataclass
class ExplanationResult:
    """The result of ``explain``.

    Attributes
    ----------
    rows : int
        Rows used: those where the model's output is present.
    sample_size : int
        Rows given SHAP attributions.
    target : str
        The column explained.
    positive : str or None
        The decision value(s) counted as positive ("1" for 0/1, true/false or yes/no); None for a score.
    features : list of str
        The features the surrogate was fitted on.
    fidelity : Fidelity
        How faithfully the surrogate reproduces the model.
    explains_model : bool
        Whether the fidelity is high enough to read the attributions as the model's.
    global_importance : list of dict
        Per feature, mean absolute SHAP value and its share of the total, largest first.
    per_group : list of dict
        Per protected group, mean SHAP value of each feature and those that push the group up most.
    individual : list of dict
        A few rows' attributions, in words.
    proxies : list of dict
        Per feature and protected attribute, the AUC with which the feature alone tells a group from the rest.
    flags : list of dict
        The strong proxies, flagged where they also carry much of the attribution.
    parameters : dict
        The settings used.
    warnings : list of str
        What was left out, and why.
    """

    rows: int
    sample_size: int
    target: str
    positive: str | None
    features: list[str]
    fidelity: Fidelity
    explains_model: bool
    global_importance: list[Importance]
    per_group: list[GroupAttribution]
    individual: list[Individual]
    proxies: list[Proxy]
    flags: list[Flag]
    parameters: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data for JSON, None for NaN.

        Returns
        -------
        dict
            Only lists, dicts, text, numbers, booleans and None.
        """
        safe: dict[str, Any] = json_safe(asdict(self))
        return safe

    def to_json(self, **kwargs: Any) -> str:
        """``to_dict()`` as JSON text; ``kwargs`` go to ``json.dumps`` (e.g. ``indent=2``)."""
        return to_json(self.to_dict(), **kwargs)


def read_table(
    data: pd.DataFrame | str | os.PathLike[str], wanted: Sequence[str] = ()
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The whole table, its header as written (repeated names included), and the columns left out.

    ``wanted`` are the columns named by the caller: each must exist and hold plain values. Other
    columns of nested values (Parquet records or lists) or raw bytes are left out, since no feature can
    be made of them.
    """
    if isinstance(data, pd.DataFrame):
        header = [str(c) for c in data.columns]
        check_columns(header, wanted)
        return data, header, []
    source = open_source(data)
    check_columns(source.header, wanted)
    check_plain(source, wanted)
    if source.kind == "parquet":
        left_out = [*source.nested, *source.binary]
        plain = [name for name in source.header if name not in left_out]
        check_text(source, plain)
        return pd.read_parquet(source.path, columns=plain), source.header, left_out
    check_field_counts(source)
    try:
        frame: pd.DataFrame = pd.read_csv(
            source.path,
            **csv_options(source),
        )
        frame.columns = _unique_names(source.header)
    except UnicodeDecodeError:
        raise encoding_error(source) from None
    return frame, source.header, []


def _unique_names(header: list[str]) -> list[str]:
    """Repeated names get a suffix (name.1, name.2) so that the table can be read; they are never chosen by
    default."""
    seen: dict[str, int] = {}
    out = []
    for name in header:
        if name in seen:
            seen[name] += 1
            out.append(f"{name}.{seen[name]}")
        else:
            seen[name] = 0
            out.append(name)
    return out


def explain(
    data: pd.DataFrame | str | os.PathLike[str],
    y_pred: str | None = None,
    *,
    score: str | None = None,
    sensitive_features: str | Sequence[str],
    features: list[str] | None = None,
    exclude: list[str] | None = None,
    pos_label: PosLabel = None,
    use_sensitive: bool = False,
    sample: int = 2000,
    random_state: int = 0,
    min_agreement: float = 0.85,
    min_r2: float = 0.8,
    proxy_auc: float = 0.75,
    flag_share: float = 0.05,
    n_individual: int = 3,
) -> ExplanationResult:
    """Explain a model's outputs from the features it saw.

    Parameters
    ----------
    data : DataFrame, str or path
        A DataFrame, or the path of a CSV or Parquet file.
    y_pred : str, optional
        Column of the model's binary decisions; or give ``score``.
    score : str, optional
        Column of the model's numeric scores.
    sensitive_features : str or sequence of str
        Protected attributes; left out of the surrogate unless ``use_sensitive``.
    features : list of str, optional
        The columns the model saw (default: every other column, identifiers left out).
    exclude : list of str, optional
        Columns to leave out of the default features (e.g. the observed outcome).
    pos_label : str, collection of str or None
        The value(s) of ``y_pred`` that mean positive, as in ``fairness.audit``. None: the column holds
        0/1, true/false or yes/no. Several values: a list, or text separated by commas. Besides them the
        column may hold one other value, the negative one.
    use_sensitive : bool, default False
        The model used the protected attributes: include them in the surrogate.
    sample : int, default 2000
        At most this many rows, stratified by protected group, get SHAP attributions.
    random_state : int, default 0
        Seed of the split, the surrogate, the sample and the proxy folds.
    min_agreement, min_r2 : float
        The fidelity bar for decisions (share reproduced) and for scores (R²).
    proxy_auc : float, default 0.75
        A feature predicting a protected attribute with at least this AUC is a proxy.
    flag_share : float, default 0.05
        A proxy carrying at least this share of the attribution is flagged.
    n_individual : int, default 3
        Rows whose attributions are put in words.

    Returns
    -------
    ExplanationResult
        Fidelity, attributions, proxies and flags, with ``to_dict()`` and ``to_json()``.

    Raises
    ------
    InputError
        When the data cannot be explained as asked: a missing or repeated column, a decision that is not
        binary or a score that is not a number, too few rows, an output that never varies. The message
        says which column and rows, and what to do.
    """
    outputs = [name for name in (y_pred, score) if name is not None]
    if len(outputs) != 1:
        raise InputError("Name either the model's decision column or its score column, not both or neither.")
    target = outputs[0]
    sensitive = [sensitive_features] if isinstance(sensitive_features, str) else list(sensitive_features)
    if not sensitive:
        raise InputError("Name at least one protected attribute.")
    if target in sensitive:
        raise InputError(
            f"The column '{target}' is named as both the model's output and a protected attribute. A "
            f"protected attribute is a column of its own (such as race or sex): choose another.",
            column=target,
        )
    frame, header, nested = read_table(data, [target, *sensitive, *(features or [])])
    unknown = [name for name in exclude or [] if name not in header]
    if unknown:
        raise InputError(
            f"There is no column {', '.join(repr(n) for n in unknown)} to exclude.", column=unknown[0]
        )
    warnings: list[str] = []
    if nested and not features:
        warnings.append(
            f"Left out because they hold nested values (records or lists) or raw bytes: {', '.join(nested)}."
        )
    repeated = sorted(name for name, n in Counter(header).items() if n > 1)
    if repeated and not features:
        copies = [c for c in _unique_names(header) if c in repeated or c.rsplit(".", 1)[0] in repeated]
        frame = frame.drop(columns=copies)
        warnings.append(f"Left out because the header repeats their names: {', '.join(repeated)}.")
    chosen = _choose_features(frame, target, sensitive, features, exclude, use_sensitive, warnings)
    is_decision = y_pred is not None
    y, positive = _target(frame[target], target, is_decision, pos_label)
    keep = ~np.isnan(y)
    if not keep.all():
        warnings.append(f"'{target}' is empty in {int((~keep).sum())} rows; they are left out.")
        frame, y = frame.loc[keep].reset_index(drop=True), y[keep]
    if len(frame) < 50:
        raise InputError(
            f"There are only {len(frame)} rows; at least 50 are needed to fit and test a surrogate."
        )
    if np.unique(y).size < 2:
        raise InputError(
            f"The model's output '{target}' is the same for every row, so there is nothing to explain."
        )

    encoded = _Encoder(frame, chosen)
    X = encoded.matrix
    if X.shape[1] >= len(frame):
        raise InputError(
            f"After encoding, there are {X.shape[1]} feature columns for {len(frame)} rows: more columns "
            f"than rows. Upload more rows or fewer features."
        )
    rng = np.random.default_rng(random_state)
    model, fidelity = _fit_surrogate(X, y, is_decision, random_state, min_agreement, min_r2, rng)
    groups = {name: _group_labels(frame[name]) for name in sensitive}
    rows = _stratified_sample(groups, len(frame), sample, rng)
    contributions = _shap(model, X[rows], encoded)
    importance = _global_importance(contributions)
    per_group = _per_group(contributions, {k: v[rows] for k, v in groups.items()})
    individual = _individual(
        contributions, frame.iloc[rows], y[rows], rows, is_decision, positive, n_individual, rng
    )
    proxies = _proxies(frame, chosen, groups, random_state)
    flags = _flags(proxies, importance, proxy_auc, flag_share, fidelity.passed)
    return ExplanationResult(
        rows=len(frame),
        sample_size=len(rows),
        target=target,
        positive=positive,
        features=chosen,
        fidelity=fidelity,
        explains_model=fidelity.passed,
        global_importance=importance,
        per_group=per_group,
        individual=individual,
        proxies=proxies,
        flags=flags,
        warnings=warnings,
        parameters={
            "sample": sample,
            "random_state": random_state,
            "min_agreement": min_agreement,
            "min_r2": min_r2,
            "proxy_auc": proxy_auc,
            "flag_share": flag_share,
            "use_sensitive": use_sensitive,
            "sensitive_features": sensitive,
            "proxy_measure": "cross-validated AUC of the feature alone telling a "
            "group from the rest (histogram classifier on 20 bins or 30 categories, 3 folds); the highest "
            "over groups of at least 30 rows",
        },
    )


def _choose_features(
    frame: pd.DataFrame,
    target: str,
    sensitive: list[str],
    features: list[str] | None,
    exclude: list[str] | None,
    use_sensitive: bool,
    warnings: list[str],
) -> list[str]:
    reserved = {target} | (set() if use_sensitive else set(sensitive))
    if features:
        chosen = [f for f in features if f not in reserved]
        dropped = [f for f in features if f in reserved and f != target]
        if dropped and not use_sensitive:
            warnings.append(
                f"Protected attributes left out of the surrogate: {', '.join(dropped)} "
                f"(say the model used them to include them)."
            )
        for name in chosen:
            if _is_identifier(frame[name]):
                raise InputError(
                    f"The feature '{name}' has {frame[name].nunique()} distinct text values in "
                    f"{len(frame)} rows; it looks like an identifier or free text, which a model cannot "
                    f"have used as such. Leave it out.",
                    column=name,
                )
    else:
        excluded = set(exclude or [])
        chosen, skipped = [], []
        for name in map(str, frame.columns):
            if name in reserved or name in excluded:
                continue
            if _is_identifier(frame[name]) or frame[name].isna().all():
                skipped.append(name)
            else:
                chosen.append(name)
        if use_sensitive:
            chosen += [s for s in sensitive if s not in chosen]
        if skipped:
            more = len(skipped) - SHOWN_SKIPPED
            warnings.append(
                f"Left out as identifiers, free text or empty: {', '.join(skipped[:SHOWN_SKIPPED])}"
                + (f" and {more} more" if more > 0 else "")
                + "."
            )
    if not chosen:
        raise InputError("There are no features to explain the output with: name the columns the model saw.")
    return chosen


def usable_features(frame: pd.DataFrame) -> list[str]:
    """The columns that can be features: not identifiers or free text, not empty, not repeated names.

    Parameters
    ----------
    frame : DataFrame
        The first rows of an upload.

    Returns
    -------
    list of str
        Their names, in the order of the columns.
    """
    names = [str(c) for c in frame.columns]
    counts = Counter(names)
    return [n for n in names if counts[n] == 1 and not frame[n].isna().all() and not _is_identifier(frame[n])]


def _is_identifier(column: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return False
    distinct = column.nunique(dropna=True)
    return distinct > max(MAX_LEVELS * 10, IDENTIFIER_SHARE * len(column))


def _target(
    values: pd.Series, column: str, is_decision: bool, pos_label: PosLabel
) -> tuple[np.ndarray, str | None]:
    """The model's output as floats (NaN where missing) and the decision value(s) counted as positive.

    Decisions are read as the audit reads them (``fairness.loading.Binarizer``), so ``pos_label`` means
    the same in both.
    """
    row_numbers = np.arange(len(values)) + HEADER_ROWS + 1
    if not is_decision:
        numbers = pd.to_numeric(values, errors="coerce")
        bad = (values.notna() & numbers.isna()).to_numpy()
        if bad.any():
            rows = [int(r) for r in row_numbers[bad][:10]]
            count = int(bad.sum())
            raise InputError(
                f"The score column '{column}' must hold numbers; {describe_rows(rows, count)} do not.",
                column=column,
                rows=rows,
                count=count,
            )
        return numbers.to_numpy(dtype=float), None
    decision = Binarizer(column, pos_label, "decision")
    problems = Problems()
    ones, _ = decision(values, row_numbers, problems)
    decision.check(problems)
    y = np.where(values.notna().to_numpy(), ones.astype(float), np.nan)
    return y, decision.pos_label or "1"


class _Encoder:
    """Numbers stay numbers (missing as NaN); categories become indicator columns, missing as its own
    category."""

    def __init__(self, frame: pd.DataFrame, columns: list[str]):
        blocks: list[np.ndarray] = []
        self.names: list[str] = []
        self.owner: list[str] = []
        for name in columns:
            column = frame[name]
            if pd.api.types.is_bool_dtype(column):
                column = column.astype(float)
            if pd.api.types.is_numeric_dtype(column):
                blocks.append(column.to_numpy(dtype=float).reshape(-1, 1))
                self.names.append(name)
                self.owner.append(name)
                continue
            text = column.astype("string").str.strip().fillna(MISSING)
            top = text.value_counts().index[:MAX_LEVELS]
            text = text.where(text.isin(top), OTHER)
            for level in sorted(text.unique()):
                blocks.append((text == level).to_numpy(dtype=float).reshape(-1, 1))
                self.names.append(f"{name}={level}")
                self.owner.append(name)
        self.matrix = np.hstack(blocks)
        self.features = list(dict.fromkeys(self.owner))
        owner_index = {f: i for i, f in enumerate(self.features)}
        self.fold = np.zeros((len(self.names), len(self.features)))
        for j, owner in enumerate(self.owner):
            self.fold[j, owner_index[owner]] = 1.0


def _fit_surrogate(
    X: np.ndarray,
    y: np.ndarray,
    is_decision: bool,
    random_state: int,
    min_agreement: float,
    min_r2: float,
    rng: np.random.Generator,
) -> tuple[Any, Fidelity]:
    """The surrogate (a scikit-learn gradient-boosted tree ensemble) and its fidelity on held-out rows."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import balanced_accuracy_score, r2_score, roc_auc_score
    from sklearn.model_selection import train_test_split

    stratify = y if is_decision else None
    train, test = train_test_split(
        np.arange(len(y)), test_size=0.25, random_state=random_state, stratify=stratify
    )
    if len(train) > MAX_FIT_ROWS:
        train = rng.choice(train, MAX_FIT_ROWS, replace=False)
    if is_decision:
        model = HistGradientBoostingClassifier(
            max_iter=300, learning_rate=0.1, early_stopping=True, random_state=random_state
        )
        model.fit(X[train], y[train].astype(int))
        predicted = model.predict(X[test])
        truth = y[test].astype(int)
        agreement = float((predicted == truth).mean())
        balanced = float(balanced_accuracy_score(truth, predicted))
        auc = float(roc_auc_score(truth, model.predict_proba(X[test])[:, 1]))
        baseline = float(max(truth.mean(), 1 - truth.mean()))
        passed = agreement >= min_agreement and balanced >= min_agreement - 0.1
        fidelity = Fidelity(
            "decision", "agreement", agreement, min_agreement, passed, balanced, auc, baseline, len(test)
        )
    else:
        model = HistGradientBoostingRegressor(
            max_iter=300, learning_rate=0.1, early_stopping=True, random_state=random_state
        )
        model.fit(X[train], y[train])
        r2 = float(r2_score(y[test], model.predict(X[test])))
        fidelity = Fidelity("score", "r2", r2, min_r2, r2 >= min_r2, held_out_rows=len(test))
    fidelity.message = _fidelity_message(fidelity)
    return model, fidelity


def _fidelity_message(f: Fidelity) -> str:
    if f.task == "decision":
        said = (
            f"The surrogate reproduces {f.value:.1%} of the model's decisions on {f.held_out_rows:,} "
            f"held-out rows (balanced {f.balanced_agreement:.1%}; always guessing the commoner decision "
            f"would reach {f.baseline:.1%})."
        )
    else:
        said = (
            f"The surrogate explains {f.value:.1%} of the variance of the model's scores (R²) on "
            f"{f.held_out_rows:,} held-out rows."
        )
    if f.passed:
        return said + " That is faithful enough to read its attributions as an explanation of the model."
    return (
        said
        + f" That is below the bar of {f.threshold:.0%}, so the attributions below describe the surrogate, "
        "not the model. Either the model uses information that is not in the upload, or it is too irregular "
        "to reproduce. Upload every feature the model receives (as it receives them), or the model's scores "
        "rather than its decisions, and run the explanation again."
    )


def _group_labels(column: pd.Series) -> np.ndarray:
    return column.astype("string").str.strip().fillna(MISSING).replace("", MISSING).to_numpy(dtype=object)


def _stratified_sample(
    groups: dict[str, np.ndarray], n: int, size: int, rng: np.random.Generator
) -> np.ndarray:
    """Up to ``size`` rows, every combination of protected groups in proportion (at least one row each)."""
    if n <= size:
        return np.arange(n)
    key = pd.Series(["|".join(parts) for parts in zip(*groups.values(), strict=True)])
    chosen = []
    for index in key.groupby(key).groups.values():
        members = np.asarray(index)
        take = max(1, round(size * len(members) / n))
        chosen.append(rng.choice(members, min(take, len(members)), replace=False))
    rows = np.concatenate(chosen)
    if len(rows) > size:
        rows = rng.choice(rows, size, replace=False)
    return np.sort(rows)


def _shap(model: Any, X_sample: np.ndarray, encoded: _Encoder) -> pd.DataFrame:
    import shap

    values = shap.TreeExplainer(model).shap_values(X_sample)
    if isinstance(values, list):  # older shap: one array per class
        values = values[-1]
    values = np.asarray(values)
    if values.ndim == 3:
        values = values[:, :, -1]
    return pd.DataFrame(values @ encoded.fold, columns=encoded.features)


def _global_importance(contributions: pd.DataFrame) -> list[Importance]:
    mean_abs = contributions.abs().mean()
    total = float(mean_abs.sum()) or 1.0
    ranked = mean_abs.sort_values(ascending=False)
    return [
        {"feature": str(name), "mean_abs_shap": float(v), "share": float(v) / total}
        for name, v in ranked.items()
    ]


def _per_group(contributions: pd.DataFrame, groups: dict[str, np.ndarray]) -> list[GroupAttribution]:
    out: list[GroupAttribution] = []
    for attribute, labels in groups.items():
        for label in sorted(set(labels)):
            mask = labels == label
            means = contributions[mask].mean()
            out.append(
                {
                    "attribute": attribute,
                    "group": str(label),
                    "count": int(mask.sum()),
                    "mean_shap": {str(k): float(v) for k, v in means.items()},
                    "pushes_up": [str(k) for k, v in means.sort_values(ascending=False).items() if v > 0][:3],
                }
            )
    return out


def _individual(
    contributions: pd.DataFrame,
    rows_frame: pd.DataFrame,
    outputs: np.ndarray,
    rows: np.ndarray,
    is_decision: bool,
    positive: str | None,
    count: int,
    rng: np.random.Generator,
) -> list[Individual]:
    if count <= 0:
        return []
    picks = rng.choice(len(rows), min(count, len(rows)), replace=False)
    toward = "a positive decision" if is_decision else "a higher score"
    if is_decision and positive and positive != "1":
        toward = f"“{positive}”"
    out: list[Individual] = []
    for i in sorted(picks):
        row = contributions.iloc[i]
        values = rows_frame.iloc[i]
        ranked = row.sort_values(key=np.abs, ascending=False)
        up = [str(k) for k, v in ranked.items() if v > 0][:3]
        down = [str(k) for k, v in ranked.items() if v < 0][:2]
        parts = []
        if up:
            parts.append(f"the largest factors towards {toward} were {_shown(up, values)}")
        if down:
            parts.append(f"the largest against were {_shown(down, values)}")
        text = ("; ".join(parts) or "no factor stood out").capitalize() + "."
        out.append(
            {
                "row": int(rows[i]) + HEADER_ROWS + 1,
                "output": _plain(outputs[i]),
                "text": text,
                "contributions": {str(k): float(v) for k, v in ranked.items()},
            }
        )
    return out


def _shown(features: list[str], values: pd.Series) -> str:
    return ", ".join(f"{name} = {_plain(values[name])}" for name in features)


def _plain(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "missing"
        return str(int(value)) if float(value).is_integer() else f"{value:.3g}"
    return str(value)


def _binned(column: pd.Series) -> np.ndarray:
    """A feature as a few categories: quantile bins for numbers, top categories for text; missing apart."""
    if pd.api.types.is_numeric_dtype(column) and column.nunique() > PROXY_BINS:
        ranks = column.rank(method="average", pct=True)
        codes = np.floor(ranks.to_numpy(dtype=float) * PROXY_BINS).clip(0, PROXY_BINS - 1)
        return np.where(np.isnan(codes), -1, codes).astype(int)
    factorized, _ = pd.factorize(column.astype("string").fillna(MISSING), sort=True)
    return factorized


def _proxy_auc(bins: np.ndarray, labels: np.ndarray, random_state: int) -> tuple[float | None, str | None]:
    """Cross-validated one-vs-rest AUC of telling each group from the others by the feature's bin alone
    (3 folds).

    Returns the highest AUC over groups of at least 30 rows and that group: a feature that singles
    out one group is a proxy for the attribute even if it says nothing about the others.
    """
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    classes, y = np.unique(labels, return_inverse=True)
    if len(classes) < 2:
        return None, None
    counts = np.bincount(y)
    keep = counts[y] >= 3  # groups too small for three folds cannot be scored
    bins, y = bins[keep], y[keep]
    classes_kept = np.unique(y)
    if len(classes_kept) < 2:
        return None, None
    names = classes[classes_kept]
    y = np.searchsorted(classes_kept, y)
    n_bins = bins.max() + 2
    shifted = bins + 1
    proba = np.zeros((len(y), len(classes_kept)))
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=random_state)
    for train, test in folds.split(shifted, y):
        table = np.zeros((n_bins, len(classes_kept)))
        np.add.at(table, (shifted[train], y[train]), 1)
        prior = np.bincount(y[train], minlength=len(classes_kept)) / len(train)
        table = (table + prior) / (table.sum(axis=1, keepdims=True) + 1)  # smoothed towards the prior
        proba[test] = table[shifted[test]]
    sizes = np.bincount(y)
    eligible = [k for k in range(len(names)) if sizes[k] >= PROXY_MIN_GROUP] or list(range(len(names)))
    scores = {k: float(roc_auc_score(y == k, proba[:, k])) for k in eligible}
    if len(names) == 2:  # one comparison: both groups give the same AUC
        scores = {1: scores[1] if 1 in scores else scores[0]}
    best = max(scores, key=lambda k: scores[k])
    return scores[best], str(names[best])


def _proxies(
    frame: pd.DataFrame, features: list[str], groups: dict[str, np.ndarray], random_state: int
) -> list[Proxy]:
    rng = np.random.default_rng(random_state)
    rows = (
        np.arange(len(frame))
        if len(frame) <= PROXY_ROWS
        else rng.choice(len(frame), PROXY_ROWS, replace=False)
    )
    out: list[Proxy] = []
    for feature in features:
        bins = _binned(frame[feature].iloc[rows].reset_index(drop=True))
        for attribute, labels in groups.items():
            if feature == attribute:
                continue
            auc, group = _proxy_auc(bins, labels[rows], random_state)
            out.append({"feature": feature, "attribute": attribute, "auc": auc, "group": group})
    return sorted(out, key=lambda p: -(p["auc"] or 0))


def _flags(
    proxies: list[Proxy],
    importance: list[Importance],
    proxy_auc: float,
    flag_share: float,
    explains_model: bool,
) -> list[Flag]:
    share = {row["feature"]: row["share"] for row in importance}
    flags: list[Flag] = []
    for proxy in proxies:
        auc = proxy["auc"]
        if auc is None or auc < proxy_auc:
            continue
        carried = share.get(proxy["feature"], 0.0)
        important = carried >= flag_share
        text = (
            f"{proxy['feature']} predicts {proxy['attribute']} ({proxy['group']} against the rest) "
            f"with AUC {auc:.2f}"
            + (
                f" and carries {carried:.0%} of the attribution"
                if important
                else f" but carries only {carried:.0%} of the attribution"
            )
        )
        if important and not explains_model:
            text += " (of the surrogate, which is not faithful enough to speak for the model)"
        flags.append({**proxy, "share": carried, "flagged": important, "text": text + "."})
    return flags
