"""Reading uploaded model outputs and turning them into validated arrays, chunk by chunk.

Opening the file and checking its shape is ``sources``; this module reads the chosen columns.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypedDict

import numpy as np
import pandas as pd

from .errors import MAX_ROWS_NAMED, InputError, describe_rows
from .sources import (
    Source,
    binary_error,
    check_field_counts,
    encoding_error,
    nested_error,
    parquet_batches,
    short_name,
)

MISSING = "(missing)"
DEFAULT_CHUNK_ROWS = 1_000_000
MAX_CATEGORIES = 100
HEADER_ROWS = 1  # spreadsheet numbering: the header is row 1, the first data row is row 2

# The values of a binary column that mean positive and negative when no positive value is named
# (compared in lower case, after stripping spaces).
TRUE_VALUES = frozenset({"1", "1.0", "true", "t", "yes", "y"})
FALSE_VALUES = frozenset({"0", "0.0", "false", "f", "no", "n"})

PosLabel: TypeAlias = str | Collection[str] | None
"""The value(s) of a binary column that mean positive: one value, several, or text separated by commas.

None means the column holds 0/1, true/false or yes/no (``TRUE_VALUES`` and ``FALSE_VALUES``). Otherwise the
named values are positive and the column may hold one other value, the negative one. The audit and the
explanations read outcomes and decisions alike, through ``Binarizer``.
"""


@dataclass(frozen=True)
class ColumnMap:
    """Which columns hold what.

    Parameters
    ----------
    y_true : the observed outcome, or None for an audit of decisions alone (no outcome labels)
    y_pred : the model's binary decision (or None when a score and threshold are given)
    score : the model's numeric score
    threshold : a score at or above it counts as a positive decision
    sensitive_features : the protected attributes, one column each
    pos_label : the value(s) of ``y_true`` (and, unless ``pred_pos_label`` says otherwise,
        of ``y_pred``) that mean positive; see ``PosLabel``
    pred_pos_label : the value(s) of ``y_pred`` that mean positive, when they differ from ``pos_label``
    """

    y_true: str | None
    sensitive_features: tuple[str, ...]
    y_pred: str | None = None
    score: str | None = None
    threshold: float | None = None
    pos_label: PosLabel = None
    pred_pos_label: PosLabel = None

    def __post_init__(self) -> None:
        if not self.sensitive_features:
            raise InputError(
                "Name at least one sensitive column (a protected attribute such as race or sex)."
            )
        if self.y_pred is None and self.score is None:
            raise InputError("Name the column with the model's decision, or a score column with a threshold.")
        if self.y_pred is None and self.threshold is None:
            raise InputError(f"A threshold is needed to turn the score column '{self.score}' into decisions.")
        if self.threshold is not None:
            object.__setattr__(self, "threshold", finite_number(self.threshold, "threshold"))
        self._check_roles()

    def _check_roles(self) -> None:
        """A column plays one part: a protected attribute that is also the outcome or the decision is a
        mistake."""
        if self.y_pred and self.y_pred == self.y_true:
            raise InputError(
                f"The column '{self.y_true}' is named as both the outcome and the model's decision; "
                f"they must be different columns.",
                column=self.y_true,
            )
        roles = {self.y_true: "outcome", self.y_pred: "model's decision", self.score: "model's score"}
        for name in self.sensitive_features:
            if name in roles:
                raise InputError(
                    f"The column '{name}' is named as both the {roles[name]} and a protected attribute. "
                    f"A protected attribute is a column of its own (such as race or sex): choose "
                    f"another.",
                    column=name,
                )

    @property
    def columns(self) -> list[str]:
        names = [self.y_true, self.y_pred, self.score, *self.sensitive_features]
        return list(dict.fromkeys(n for n in names if n))


def finite_number(value: float | str, what: str) -> float:
    """``value`` as a float; NaN and infinities are refused, as is what only overflows to infinity (1e999)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise InputError(f"The {what} must be a finite number, such as 0.5, not '{value}'.")
    return number


@dataclass
class Coded:
    """A sensitive column as integer codes into its labels (missing values as MISSING)."""

    codes: np.ndarray
    labels: list[str]

    def take(self, keep: np.ndarray) -> Coded:
        return Coded(self.codes[keep], self.labels)


@dataclass
class Chunk:
    """Validated arrays for a run of rows."""

    first_row: int
    y_true: np.ndarray  # int8, 0/1
    y_pred: np.ndarray  # int8, 0/1
    score: np.ndarray | None  # float64
    sensitive: dict[str, Coded]


class ExcludedRows(TypedDict):
    """Rows left out because a column is empty in them: how many, and the first row numbers."""

    count: int
    rows: list[int]


@dataclass
class ReadSummary:
    """What reading the rows found: how many were read, which were left out (by column), and warnings."""

    rows_read: int = 0
    rows_excluded: dict[str, ExcludedRows] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Problems:
    """Offending rows gathered over the whole file, so that counts are complete."""

    rows: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, column: str, kind: str, row_numbers: np.ndarray) -> None:
        if len(row_numbers) == 0:
            return
        key = (column, kind)
        kept = self.rows.setdefault(key, [])
        if len(kept) < MAX_ROWS_NAMED:
            kept.extend(int(r) for r in row_numbers[: MAX_ROWS_NAMED - len(kept)])
        self.counts[key] += len(row_numbers)

    def first(self, kind: str) -> tuple[str, list[int], int] | None:
        """The first column with problems of this kind: its name, the first rows and their count."""
        for (column, k), rows in self.rows.items():
            if k == kind:
                return column, rows, self.counts[(column, k)]
        return None


def check_columns(header: Sequence[str], columns: Iterable[str]) -> None:
    """Each of ``columns`` must be named exactly once in ``header``; the error says what the file has."""
    counts = Counter(header)
    for name in columns:
        if counts.get(name, 0) > 1:
            positions = [str(i + 1) for i, h in enumerate(header) if h == name]
            listed = ", ".join(positions[:MAX_ROWS_NAMED]) + (
                ", …" if len(positions) > MAX_ROWS_NAMED else ""
            )
            raise InputError(
                f"The header names '{name}' {counts[name]:,} times (columns {listed}), so it is not "
                f"clear which one to use. Rename the copies in the file so that each name is unique.",
                column=name,
            )
        if name not in counts:
            close = [h for h in header if h.lower() == name.lower()]
            listed = ", ".join(short_name(h) for h in header[:30]) + (", …" if len(header) > 30 else "")
            hint = f" Did you mean '{close[0]}'?" if close else f" The file has: {listed}."
            raise InputError(f"There is no column '{name}' in the file.{hint}", column=name)


def csv_options(source: Source) -> dict[str, Any]:
    """The options of every ``pandas.read_csv`` of an opened CSV source: its delimiter and encoding, and the
    header line skipped with the columns named by position.

    pandas would otherwise parse the header again and rename repeated names one by one, which
    takes quadratic time: a header of one name repeated 40,000 times kept it busy for over a minute.
    """
    return {
        "sep": source.delimiter,
        "encoding": source.encoding,
        "skipinitialspace": True,
        "low_memory": False,
        "header": None,
        "skiprows": 1,
        "names": [str(i) for i in range(len(source.header))],
    }


def iter_frames(
    source: Source,
    columns: list[str],
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    categorical: tuple[str, ...] = (),
) -> Iterator[pd.DataFrame]:
    """The chosen columns, a chunk of rows at a time; ``categorical`` columns are read as categories.

    A CSV file is first checked row by row against its header (``check_field_counts``): reading
    only some columns, pandas would otherwise pad short rows and drop the extra fields of long ones.
    """
    if source.kind == "parquet":
        for batch in parquet_batches(source, columns, chunk_rows):
            yield batch.to_pandas()
        return
    check_field_counts(source)
    positions = sorted(source.header.index(c) for c in columns)
    reader = pd.read_csv(
        source.path,
        usecols=positions,
        chunksize=chunk_rows,
        keep_default_na=True,
        dtype={str(source.header.index(c)): "category" for c in categorical},
        na_values=["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"],
        **csv_options(source),
    )
    try:
        for frame in reader:
            frame.columns = [source.header[p] for p in positions]
            yield frame
    except pd.errors.ParserError as error:
        raise InputError(f"The file is not a well-formed table: {error}") from None
    except UnicodeDecodeError:
        raise encoding_error(source) from None


def head_frame(source: Source, rows: int, columns: list[str] | None = None) -> pd.DataFrame:
    """The first ``rows`` rows of ``columns`` (default: every column of plain values), for the guesses
    made before the mapping: which columns are scores, which can be features."""
    if columns is None:
        columns = [name for name in source.header if name not in source.nested and name not in source.binary]
    if source.kind == "parquet":
        batch = next(parquet_batches(source, columns, rows), None)
        return batch.to_pandas() if batch is not None else pd.DataFrame(columns=columns)
    wanted = set(columns)
    positions = [i for i, name in enumerate(source.header) if name in wanted]
    try:
        frame: pd.DataFrame = pd.read_csv(
            source.path,
            usecols=positions,
            nrows=rows,
            **csv_options(source),
        )
    except pd.errors.ParserError as error:
        raise InputError(f"The file is not a well-formed table: {error}") from None
    except UnicodeDecodeError:
        raise encoding_error(source) from None
    frame.columns = [source.header[i] for i in positions]
    return frame


def is_score(source: Source, column: str, rows: int = 5000) -> bool:
    """Whether a numeric output is a score (more than two values among the first ``rows``) rather than a
    0/1 decision."""
    values = head_frame(source, rows, [column])[column]
    return bool(pd.to_numeric(values, errors="coerce").dropna().nunique() > 2)


def numeric_columns(header: Sequence[str], rows: Sequence[Sequence[str]]) -> set[str]:
    """The columns whose shown values (a preview's text) are all numbers or empty."""
    numeric = set()
    for i, name in enumerate(header):
        values = [row[i] for row in rows if i < len(row)]
        try:
            [float(v) for v in values if v not in ("", "nan", "None")]
        except ValueError:
            continue
        numeric.add(name)
    return numeric


def frame_to_source_chunks(
    frame: pd.DataFrame, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), chunk_rows):
        yield frame.iloc[start : start + chunk_rows]


class Binarizer:
    """Maps a column of outcomes or decisions to 0/1, learning its values across chunks.

    Parameters
    ----------
    column : str
        The column's name, for messages.
    pos_label : str, collection of str or None
        The value(s) that mean positive; see ``PosLabel``.
    role : str
        What the column holds, for messages: "outcome" or "decision".
    """

    def __init__(self, column: str, pos_label: PosLabel, role: str):
        self.column = column
        self.pos_values = positive_values(pos_label)
        self.pos_label = None if self.pos_values is None else " or ".join(sorted(self.pos_values))
        self.role = role
        self.values: Counter[str] = Counter()

    def __call__(
        self, series: pd.Series, row_numbers: np.ndarray, problems: Problems
    ) -> tuple[np.ndarray, np.ndarray]:
        """The 0/1 values of ``series`` and the mask of its usable rows (present, and binary).

        Rows with other values are noted in ``problems``; ``check`` raises for them once every chunk is read.
        """
        present = series.notna().to_numpy()
        if series.dtype != object and self.pos_label is None and pd.api.types.is_numeric_dtype(series):
            values = series.to_numpy(dtype=float, na_value=np.nan)
            ones, zeros = values == 1, values == 0
            bad = present & ~(ones | zeros)
            self.values.update({"1": int(ones.sum()), "0": int(zeros.sum())})
            if bad.any():
                self.values.update(_number_text(v) for v in np.unique(values[bad])[:20])
            problems.add(self.column, "not_binary", row_numbers[bad])
            return ones.astype(np.int8), present & ~bad
        try:
            text = series.astype("string").str.strip()
        except UnicodeDecodeError:  # raw bytes in a DataFrame's column, which are not text
            raise binary_error(self.column) from None
        self.values.update({str(value): int(n) for value, n in text[present].value_counts().items()})
        if self.pos_values is not None:
            return text.isin(self.pos_values).fillna(False).to_numpy(dtype=np.int8), present
        lowered = text.str.lower()
        ones = lowered.isin(TRUE_VALUES).fillna(False).to_numpy()
        zeros = lowered.isin(FALSE_VALUES).fillna(False).to_numpy()
        bad = present & ~(ones | zeros)
        problems.add(self.column, "not_binary", row_numbers[bad])
        return ones.astype(np.int8), present & ~bad

    def check(self, problems: Problems) -> None:
        """Raise ``InputError`` if the values seen so far do not make a binary column, saying what to do."""
        distinct = [v for v, n in self.values.items() if n > 0]
        listing = ", ".join(f"'{v}'" for v in sorted(distinct, key=str)[:12])
        if self.pos_values is not None:
            if not self.pos_values & set(distinct):
                raise InputError(
                    f"The positive value '{self.pos_label}' never occurs in the {self.role} column "
                    f"'{self.column}'. Its values are: {listing}.",
                    column=self.column,
                )
            negatives = set(distinct) - self.pos_values
            if len(negatives) > 1:
                raise InputError(
                    f"The {self.role} column '{self.column}' must be binary, but besides the positive value "
                    f"'{self.pos_label}' it has {len(negatives)} others: "
                    f"{', '.join(repr(v) for v in sorted(negatives)[:12])}. Name every value that counts as "
                    f"positive (e.g. 'Medium,High'), or recode the column to two values.",
                    column=self.column,
                )
            return
        key = (self.column, "not_binary")
        if key in problems.rows:
            rows, count = problems.rows[key], problems.counts[key]
            raise InputError(
                f"The {self.role} column '{self.column}' must be binary (0/1, true/false or yes/no), but it "
                f"holds {listing}. {describe_rows(rows, count)} have other values. If the column uses other "
                f"words, say which value(s) mean a positive {self.role}.",
                column=self.column,
                rows=rows,
                count=count,
            )


def _number_text(value: float) -> str:
    # as the file most likely wrote it: 2, not the 2.0 that reading it as a number made of it
    return str(int(value)) if float(value).is_integer() else str(value)


def positive_values(pos_label: PosLabel) -> frozenset[str] | None:
    """The value(s) that count as positive, as text; a comma-separated string names several."""
    if pos_label is None:
        return None
    if isinstance(pos_label, str):
        return frozenset(v.strip() for v in pos_label.split(",") if v.strip())
    return frozenset(str(v).strip() for v in pos_label)


def coded(series: pd.Series) -> Coded:
    """Codes and text labels of a sensitive column; missing and blank values form the MISSING group."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, uniques = series.cat.codes.to_numpy().astype(np.int64), series.cat.categories
    else:
        try:
            codes, uniques = pd.factorize(series, sort=False)
        except TypeError:  # unhashable values: records or lists in a DataFrame's column
            raise nested_error(str(series.name), "records or lists") from None
        codes = codes.astype(np.int64)
    labels = [str(u).strip() or MISSING for u in uniques]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(labels), codes)
        labels.append(MISSING)
    return Coded(codes, labels)


def validated_chunks(
    frames: Iterable[pd.DataFrame], mapping: ColumnMap, summary: ReadSummary
) -> Iterator[Chunk]:
    """Validate and convert each chunk. ``summary`` receives warnings and counts of read and excluded rows.

    Problems that concern the whole file (non-binary values, non-numeric scores) are
    gathered over every chunk and raised at the end with complete counts.
    """
    problems = Problems()
    label = Binarizer(mapping.y_true, mapping.pos_label, "outcome") if mapping.y_true else None
    decision = None
    if mapping.y_pred:
        decision = Binarizer(mapping.y_pred, mapping.pred_pos_label or mapping.pos_label, "decision")
    distinct: dict[str, set[str]] = {name: set() for name in mapping.sensitive_features}
    next_row = HEADER_ROWS + 1
    total = 0
    for frame in frames:
        rows = np.arange(next_row, next_row + len(frame))
        next_row += len(frame)
        total += len(frame)
        if label is None:
            # without outcomes every row counts as a negative outcome: only the selection rate is read from it
            y, usable = np.zeros(len(frame), dtype=np.int8), np.ones(len(frame), dtype=bool)
        else:
            y, usable = label(frame[label.column], rows, problems)
            usable = usable.copy()
            problems.add(label.column, "missing", rows[frame[label.column].isna().to_numpy()])
        score = None
        if mapping.score:
            raw = frame[mapping.score]
            score = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
            text_present = raw.notna().to_numpy()
            problems.add(mapping.score, "not_numeric", rows[text_present & np.isnan(score)])
            problems.add(mapping.score, "missing", rows[~text_present])
            usable &= ~np.isnan(score)
        if decision is not None:
            p, ok = decision(frame[decision.column], rows, problems)
            problems.add(decision.column, "missing", rows[frame[decision.column].isna().to_numpy()])
            usable &= ok
        else:
            # ColumnMap asks for a score and a threshold when there is no decision column
            assert score is not None and mapping.threshold is not None
            with np.errstate(invalid="ignore"):
                p = (score >= mapping.threshold).astype(np.int8)
        sensitive = {}
        for name in mapping.sensitive_features:
            codes = coded(frame[name])
            if len(distinct[name]) <= MAX_CATEGORIES:
                distinct[name].update(codes.labels)
            sensitive[name] = codes
        if not usable.all():
            keep = np.flatnonzero(usable)
            y, p = y[keep], p[keep]
            score = score[keep] if score is not None else None
            sensitive = {k: v.take(keep) for k, v in sensitive.items()}
            rows = rows[keep]
        yield Chunk(int(rows[0]) if len(rows) else next_row, y, p, score, sensitive)

    if total == 0:
        raise InputError("The file has a header but no rows of data.")
    if label is not None:
        label.check(problems)
    if decision is not None:
        decision.check(problems)
    found = problems.first("not_numeric")
    if found:
        column, bad_rows, count = found
        raise InputError(
            f"The score column '{column}' must hold numbers; {describe_rows(bad_rows, count)} do not.",
            column=column,
            rows=bad_rows,
            count=count,
        )
    for name, values in distinct.items():
        if len(values) > MAX_CATEGORIES:
            raise InputError(
                f"The sensitive column '{name}' has more than {MAX_CATEGORIES} distinct values; it looks "
                f"like an identifier or a free-text field rather than a protected attribute. Choose a column "
                f"with groups (or group the values first).",
                column=name,
            )
    for (column, kind), empty_rows in problems.rows.items():
        if kind == "missing":
            count = problems.counts[(column, kind)]
            summary.rows_excluded[column] = {"count": count, "rows": empty_rows}
            summary.warnings.append(
                f"'{column}' is empty in {describe_rows(empty_rows, count)}; "
                f"those rows are left out of the audit."
            )
    summary.rows_read = total
