"""Errors about the data a user uploaded, worded for that user."""

from __future__ import annotations

MAX_ROWS_NAMED = 10


class InputError(ValueError):
    """The data cannot be audited as asked. The message says what is wrong and what to do.

    Attributes
    ----------
    column : the column concerned, if any
    rows : up to the first 10 offending row numbers (spreadsheet numbering: the header is row 1)
    count : how many rows are affected
    """

    def __init__(
        self, message: str, column: str | None = None, rows: list[int] | None = None, count: int = 0
    ):
        super().__init__(message)
        self.column = column
        self.rows = rows or []
        self.count = count


def describe_rows(rows: list[int], count: int) -> str:
    shown = ", ".join(str(r) for r in rows[:MAX_ROWS_NAMED])
    more = f" and {count - len(rows[:MAX_ROWS_NAMED])} more" if count > MAX_ROWS_NAMED else ""
    noun = "row" if count == 1 else "rows"
    return f"{count} {noun} (row {shown}{more})" if count == 1 else f"{count} {noun} (rows {shown}{more})"
