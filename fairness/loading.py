"""Reading uploaded model outputs and turning them into validated arrays, chunk by chunk.

Nothing here ever unpickles: CSV is parsed as text and Parquet through pyarrow.
"""
from __future__ import annotations

import csv
import io
import os
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from .errors import MAX_ROWS_NAMED, InputError, describe_rows

MISSING = "(missing)"
DELIMITERS = ",;\t|"
DEFAULT_CHUNK_ROWS = 1_000_000
MAX_CATEGORIES = 100
HEADER_ROWS = 1  # spreadsheet numbering: the header is row 1, the first data row is row 2

_TRUE = {"1", "1.0", "true", "t", "yes", "y"}
_FALSE = {"0", "0.0", "false", "f", "no", "n"}


@dataclass(frozen=True)
class ColumnMap:
    """Which columns hold what.

    Parameters
    ----------
    y_true : the observed outcome
    y_pred : the model's binary decision (or None when a score and threshold are given)
    score : the model's numeric score
    threshold : a score at or above it counts as a positive decision
    sensitive_features : the protected attributes, one column each
    pos_label : the value(s) of ``y_true`` (and, unless ``pred_pos_label`` says otherwise,
        of ``y_pred``) that mean positive; needed only when the values are not 0/1,
        true/false or yes/no. Several values: a list, or text separated by commas.
    """

    y_true: str
    sensitive_features: tuple[str, ...]
    y_pred: str | None = None
    score: str | None = None
    threshold: float | None = None
    pos_label: str | list[str] | None = None
    pred_pos_label: str | list[str] | None = None

    def __post_init__(self):
        if not self.sensitive_features:
            raise InputError("Name at least one sensitive column (a protected attribute such as race or sex).")
        if self.y_pred is None and self.score is None:
            raise InputError("Name the column with the model's decision, or a score column with a threshold.")
        if self.y_pred is None and self.threshold is None:
            raise InputError(f"A threshold is needed to turn the score column '{self.score}' into decisions.")

    @property
    def columns(self) -> list[str]:
        names = [self.y_true, self.y_pred, self.score, *self.sensitive_features]
        return list(dict.fromkeys(n for n in names if n))


@dataclass
class Coded:
    """A sensitive column as integer codes into its labels (missing values as MISSING)."""

    codes: np.ndarray
    labels: list[str]

    def take(self, keep: np.ndarray) -> "Coded":
        return Coded(self.codes[keep], self.labels)


@dataclass
class Chunk:
    """Validated arrays for a run of rows."""

    first_row: int
    y_true: np.ndarray          # int8, 0/1
    y_pred: np.ndarray          # int8, 0/1
    score: np.ndarray | None    # float64
    sensitive: dict[str, "Coded"]


@dataclass
class Problems:
    """Offending rows gathered over the whole file, so that counts are complete."""

    rows: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)

    def add(self, column: str, kind: str, row_numbers: np.ndarray) -> None:
        if len(row_numbers) == 0:
            return
        key = (column, kind)
        kept = self.rows.setdefault(key, [])
        if len(kept) < MAX_ROWS_NAMED:
            kept.extend(int(r) for r in row_numbers[: MAX_ROWS_NAMED - len(kept)])
        self.counts[key] += len(row_numbers)

    def first(self, kind: str):
        for (column, k), rows in self.rows.items():
            if k == kind:
                return column, rows, self.counts[(column, k)]
        return None


@dataclass
class Source:
    """An opened upload: where it is, its format, encoding and delimiter."""

    path: Path
    kind: str                     # "csv" or "parquet"
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    header: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def open_source(path: str | os.PathLike) -> Source:
    path = Path(path)
    if not path.exists():
        raise InputError(f"There is no file at {path}.")
    if path.stat().st_size == 0:
        raise InputError("The file is empty: it has no header and no rows.")
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    if head.startswith(b"PAR1"):
        import pyarrow.parquet as pq

        try:
            header = pq.ParquetFile(path).schema_arrow.names
        except Exception as error:  # noqa: BLE001 - pyarrow raises several types for a damaged file
            raise InputError(f"The file looks like Parquet but cannot be read: {error}.") from None
        return Source(path, "parquet", header=list(header))
    if b"\x00" in head:
        raise InputError("This is not a text table: upload a CSV file (comma, semicolon or tab separated) or Parquet.")
    source = Source(path, "csv")
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not merely a character cut at the end of the sample
            source.encoding = "latin-1"
            source.warnings.append("The file is not valid UTF-8; it was read as Latin-1. Check accented names.")
        text = head.decode(source.encoding, errors="ignore")
    first_line = text.splitlines()[0] if text.splitlines() else ""
    if not first_line.strip():
        raise InputError("The first line of the file is empty: it should name the columns.")
    source.delimiter = _sniff_delimiter(text)
    source.header = next(csv.reader(io.StringIO(first_line), delimiter=source.delimiter))
    source.header = [name.strip() for name in source.header]
    return source


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff("\n".join(sample.splitlines()[:20]), delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = sample.splitlines()[0]
        return max(DELIMITERS, key=first.count)


def check_columns(header: list[str], mapping: ColumnMap) -> None:
    counts = Counter(header)
    for name in mapping.columns:
        if counts.get(name, 0) > 1:
            positions = [str(i + 1) for i, h in enumerate(header) if h == name]
            raise InputError(
                f"The header names '{name}' {counts[name]} times (columns {', '.join(positions)}), so it is not "
                f"clear which one to use. Rename the copies in the file so that each name is unique.",
                column=name,
            )
        if name not in counts:
            close = [h for h in header if h.lower() == name.lower()]
            hint = f" Did you mean '{close[0]}'?" if close else f" The file has: {', '.join(header[:30])}."
            raise InputError(f"There is no column '{name}' in the file.{hint}", column=name)


def iter_frames(source: Source, columns: list[str], chunk_rows: int = DEFAULT_CHUNK_ROWS,
                categorical: tuple[str, ...] = ()) -> Iterator[pd.DataFrame]:
    """The chosen columns, a chunk of rows at a time; ``categorical`` columns are read as categories."""
    if source.kind == "parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(source.path).iter_batches(batch_size=chunk_rows, columns=columns):
            yield batch.to_pandas()
        return
    positions = [source.header.index(c) for c in columns]
    reader = pd.read_csv(
        source.path, sep=source.delimiter, encoding=source.encoding, usecols=positions, header=0,
        names=None, chunksize=chunk_rows, skipinitialspace=True, low_memory=False,
        dtype={source.header.index(c): "category" for c in categorical}, keep_default_na=True,
        na_values=["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"],
    )
    try:
        for frame in reader:
            frame.columns = [c.strip() for c in frame.columns]
            yield frame
    except pd.errors.ParserError as error:
        raise InputError(f"The file is not a well-formed table: {error}") from None


def frame_to_source_chunks(frame: pd.DataFrame, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), chunk_rows):
        yield frame.iloc[start:start + chunk_rows]


class Binarizer:
    """Maps a column of outcomes or decisions to 0/1, learning its values across chunks."""

    def __init__(self, column: str, pos_label, role: str):
        self.column = column
        self.pos_values = positive_values(pos_label)
        self.pos_label = None if self.pos_values is None else " or ".join(sorted(self.pos_values))
        self.role = role
        self.values: Counter = Counter()

    def __call__(self, series: pd.Series, row_numbers: np.ndarray, problems: Problems) -> tuple[np.ndarray, np.ndarray]:
        """Returns (0/1 values, mask of usable rows)."""
        present = series.notna().to_numpy()
        if series.dtype != object and self.pos_label is None and pd.api.types.is_numeric_dtype(series):
            values = series.to_numpy(dtype=float, na_value=np.nan)
            ones, zeros = values == 1, values == 0
            bad = present & ~(ones | zeros)
            self.values.update({"1": int(ones.sum()), "0": int(zeros.sum())})
            if bad.any():
                self.values.update(str(v) for v in np.unique(values[bad])[:20])
            problems.add(self.column, "not_binary", row_numbers[bad])
            return ones.astype(np.int8), present & ~bad
        text = series.astype("string").str.strip()
        self.values.update(text[present].value_counts().to_dict())
        if self.pos_values is not None:
            return text.isin(self.pos_values).fillna(False).to_numpy(dtype=np.int8), present
        lowered = text.str.lower()
        ones = lowered.isin(_TRUE).fillna(False).to_numpy()
        zeros = lowered.isin(_FALSE).fillna(False).to_numpy()
        bad = present & ~(ones | zeros)
        problems.add(self.column, "not_binary", row_numbers[bad])
        return ones.astype(np.int8), present & ~bad

    def check(self, problems: Problems) -> None:
        distinct = [v for v, n in self.values.items() if n > 0]
        listing = ", ".join(f"'{v}'" for v in sorted(distinct, key=str)[:12])
        if self.pos_values is not None:
            if not self.pos_values & set(distinct):
                raise InputError(
                    f"The positive value '{self.pos_label}' never occurs in the {self.role} column '{self.column}'. "
                    f"Its values are: {listing}.", column=self.column)
            negatives = set(distinct) - self.pos_values
            if len(negatives) > 1:
                raise InputError(
                    f"The {self.role} column '{self.column}' must be binary, but besides the positive value "
                    f"'{self.pos_label}' it has {len(negatives)} others: "
                    f"{', '.join(repr(v) for v in sorted(negatives)[:12])}. Name every value that counts as "
                    f"positive (e.g. 'Medium,High'), or recode the column to two values.", column=self.column)
            return
        found = problems.first("not_binary")
        if found and found[0] == self.column:
            column, rows, count = found
            raise InputError(
                f"The {self.role} column '{column}' must be binary (0/1, true/false or yes/no), but it holds "
                f"{listing}. {describe_rows(rows, count)} have other values. If the column uses other words, "
                f"say which value is positive.", column=column, rows=rows, count=count)


def positive_values(pos_label) -> set[str] | None:
    """The value(s) that count as positive, as text; a comma-separated string names several."""
    if pos_label is None:
        return None
    if isinstance(pos_label, (list, tuple, set)):
        return {str(v).strip() for v in pos_label}
    return {v.strip() for v in str(pos_label).split(",") if v.strip()}


def coded(series: pd.Series) -> Coded:
    """Codes and text labels of a sensitive column; missing and blank values form the MISSING group."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, uniques = series.cat.codes.to_numpy().astype(np.int64), series.cat.categories
    else:
        codes, uniques = pd.factorize(series, sort=False)
        codes = codes.astype(np.int64)
    labels = [str(u).strip() or MISSING for u in uniques]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(labels), codes)
        labels.append(MISSING)
    return Coded(codes, labels)


def validated_chunks(frames: Iterator[pd.DataFrame], mapping: ColumnMap, report: dict) -> Iterator[Chunk]:
    """Validate and convert each chunk. ``report`` receives warnings and counts of excluded rows.

    Problems that concern the whole file (non-binary values, non-numeric scores) are
    gathered over every chunk and raised at the end with complete counts.
    """
    problems = Problems()
    label = Binarizer(mapping.y_true, mapping.pos_label, "outcome")
    decision = None
    if mapping.y_pred:
        decision = Binarizer(mapping.y_pred, mapping.pred_pos_label or mapping.pos_label, "decision")
    distinct: dict[str, set] = {name: set() for name in mapping.sensitive_features}
    next_row = HEADER_ROWS + 1
    total = 0
    for frame in frames:
        rows = np.arange(next_row, next_row + len(frame))
        next_row += len(frame)
        total += len(frame)
        y, usable = label(frame[mapping.y_true], rows, problems)
        usable = usable.copy()
        problems.add(mapping.y_true, "missing", rows[frame[mapping.y_true].isna().to_numpy()])
        score = None
        if mapping.score:
            raw = frame[mapping.score]
            score = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
            text_present = raw.notna().to_numpy()
            problems.add(mapping.score, "not_numeric", rows[text_present & np.isnan(score)])
            problems.add(mapping.score, "missing", rows[~text_present])
            usable &= ~np.isnan(score)
        if decision is not None:
            p, ok = decision(frame[mapping.y_pred], rows, problems)
            problems.add(mapping.y_pred, "missing", rows[frame[mapping.y_pred].isna().to_numpy()])
            usable &= ok
        else:
            with np.errstate(invalid="ignore"):
                p = (score >= mapping.threshold).astype(np.int8)
        sensitive = {}
        for name in mapping.sensitive_features:
            column = coded(frame[name])
            if len(distinct[name]) <= MAX_CATEGORIES:
                distinct[name].update(column.labels)
            sensitive[name] = column
        if not usable.all():
            keep = np.flatnonzero(usable)
            y, p = y[keep], p[keep]
            score = score[keep] if score is not None else None
            sensitive = {k: v.take(keep) for k, v in sensitive.items()}
            rows = rows[keep]
        yield Chunk(int(rows[0]) if len(rows) else next_row, y, p, score, sensitive)

    if total == 0:
        raise InputError("The file has a header but no rows of data.")
    label.check(problems)
    if decision is not None:
        decision.check(problems)
    found = problems.first("not_numeric")
    if found:
        column, rows, count = found
        raise InputError(
            f"The score column '{column}' must hold numbers; {describe_rows(rows, count)} do not.",
            column=column, rows=rows, count=count)
    for name, values in distinct.items():
        if len(values) > MAX_CATEGORIES:
            raise InputError(
                f"The sensitive column '{name}' has more than {MAX_CATEGORIES} distinct values; it looks like an "
                f"identifier or a free-text field rather than a protected attribute. Choose a column with groups "
                f"(or group the values first).", column=name)
    excluded = {}
    for (column, kind), rows in problems.rows.items():
        if kind == "missing":
            count = problems.counts[(column, kind)]
            excluded[column] = {"count": count, "rows": rows}
            report.setdefault("warnings", []).append(
                f"'{column}' is empty in {describe_rows(rows, count)}; those rows are left out of the audit.")
    report["rows_read"] = total
    report["rows_excluded"] = excluded
