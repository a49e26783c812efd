"""One pass over the rows: reduce them to confusion counts per intersectional cell.

Every rate, difference, ratio and interval is derived from these counts, so a
file of any size is read once, in chunks, and the result equals the one on the
whole frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .loading import Coded

# Column order of every count array: sklearn's confusion_matrix(...).ravel() order.
TN, FP, FN, TP = range(4)


@dataclass
class CellCounts:
    """Confusion counts for each observed combination of sensitive values.

    ``cells[i]`` holds the labels of cell i (one per sensitive column) and
    ``counts[i]`` its [TN, FP, FN, TP].
    """

    columns: tuple[str, ...]
    cells: list[tuple[str, ...]] = field(default_factory=list)
    counts: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), dtype=np.int64))
    _index: dict[tuple[str, ...], int] = field(default_factory=dict)
    scores: list[pd.DataFrame] = field(default_factory=list)

    def add(
        self,
        sensitive: dict[str, Coded],
        y_true: np.ndarray,
        y_pred: np.ndarray,
        score: np.ndarray | None = None,
    ) -> None:
        if len(y_true) == 0:
            return
        local_codes, local_cells = _combine(sensitive, self.columns)
        outcome = y_true.astype(np.int64) * 2 + y_pred.astype(np.int64)
        binned = np.bincount(local_codes * 4 + outcome, minlength=len(local_cells) * 4).reshape(-1, 4)
        rows = self._rows_for(local_cells)
        np.add.at(self.counts, rows, binned)
        if score is not None:
            table = pd.DataFrame({"cell": rows[local_codes], "score": score, "y": y_true})
            self.scores.append(
                table.groupby(["cell", "score", "y"], sort=False).size().rename("n").reset_index()
            )
            if len(self.scores) > 8:
                self.scores = [self.score_table()]

    def _rows_for(self, local_cells: list[tuple[str, ...]]) -> np.ndarray:
        rows = np.empty(len(local_cells), dtype=np.int64)
        new = []
        for i, cell in enumerate(local_cells):
            index = self._index.get(cell)
            if index is None:
                index = len(self.cells)
                self._index[cell] = index
                self.cells.append(cell)
                new.append(cell)
            rows[i] = index
        if new:
            self.counts = np.vstack([self.counts, np.zeros((len(new), 4), dtype=np.int64)])
        return rows

    def score_table(self) -> pd.DataFrame:
        """(cell, score, y) → number of rows, over everything added so far."""
        if not self.scores:
            return pd.DataFrame({"cell": [], "score": [], "y": [], "n": []})
        table = pd.concat(self.scores, ignore_index=True)
        return table.groupby(["cell", "score", "y"], sort=False)["n"].sum().reset_index()

    def canonical(self) -> CellCounts:
        """The same counts with cells in sorted order, so results do not depend on the order rows came in."""
        order = sorted(range(len(self.cells)), key=lambda i: self.cells[i])
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order))
        result = CellCounts(
            columns=self.columns, cells=[self.cells[i] for i in order], counts=self.counts[order]
        )
        result._index = {cell: i for i, cell in enumerate(result.cells)}
        if self.scores:
            table = self.score_table()
            table["cell"] = position[table["cell"].to_numpy(dtype=np.int64)]
            result.scores = [table]
        return result

    @property
    def total(self) -> int:
        return int(self.counts.sum())


def _combine(
    sensitive: dict[str, Coded], columns: tuple[str, ...]
) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Code each row by its combination of sensitive values without sorting the rows."""
    codes = np.zeros(len(next(iter(sensitive.values())).codes), dtype=np.int64)
    uniques_per_column = []
    radix = 1
    for name in columns:
        column = sensitive[name]
        codes += column.codes * radix
        uniques_per_column.append(column.labels)
        radix *= max(len(column.labels), 1)
    present, dense = np.unique(codes, return_inverse=True) if radix > 4 * len(codes) else _dense(codes, radix)
    cells = []
    for code in present:
        labels = []
        for uniques in uniques_per_column:
            code, position = divmod(int(code), len(uniques))
            labels.append(str(uniques[position]))
        cells.append(tuple(labels))
    return dense, cells


def _dense(codes: np.ndarray, radix: int) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(..., return_inverse=True) for small code spaces, in linear time."""
    seen = np.bincount(codes, minlength=radix) > 0
    present = np.flatnonzero(seen)
    lookup = np.full(radix, -1, dtype=np.int64)
    lookup[present] = np.arange(len(present))
    return present, lookup[codes]
