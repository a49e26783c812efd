"""Database ids as they arrive in addresses, query strings and forms.

The id columns are SQL INTEGER: 32-bit signed in PostgreSQL, which refuses a larger parameter ("integer out of
range"); SQLite refuses one above 2**63 - 1 (OverflowError). A larger number names no record in either, so it
is answered like any other id that names no record: 404, before it reaches the database. Something that is not
a whole number at all is a malformed request: 400.
"""

from __future__ import annotations

from flask import abort
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the largest SQL INTEGER; both databases answer alike up to it


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: ASCII digits up to MAX_ID; a larger number, or digits of another script
    (werkzeug's ``\\d`` also matches "０１"), does not match the route (404)."""

    regex = r"[0-9]+"

    def __init__(
        self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None, signed: bool = False
    ) -> None:
        bounded = MAX_ID if max is None or max > MAX_ID else max
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bounded, signed=signed)


def parse(text: str) -> int | None:
    """A whole number (ASCII digits) that can name a record, or None."""
    if not (text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(MAX_ID)):  # also keeps int() away from numbers of thousands of digits
        return None
    number = int(digits)
    return number if number <= MAX_ID else None


def from_form(value: str | None) -> int | None:
    """An optional id sent in a form or query string: None when empty, 400 when not a whole number,
    404 when too large to name any record."""
    text = (value or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        abort(400)
    number = parse(text)
    if number is None:
        abort(404)
    return number
